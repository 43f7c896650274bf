using System.Numerics.Tensors;
using SwinFace.Analysis;

namespace SwinFace.Tests.Analysis;

/// <summary>Decoding and label tables: no model needed.</summary>
public sealed class DecodingTests
{
    [Fact]
    public void Heads_FollowTheSpecOrderAndSizes()
    {
        Assert.Equal(42, ModelHeads.All.Length);
        Assert.Equal(new[] { "Gender", "Age", "Young", "Expression", "Smiling", "Attractive" }, ModelHeads.All.Take(6).Select(h => h.Name));
        Assert.Equal("Wearing Necktie", ModelHeads.All[^1].Name);
        Assert.Equal(new[] { 1, 2, 2, 6, 10, 5, 2, 4, 6, 2, 2 }, Enumerable.Range(0, 11).Select(b => ModelHeads.All.Count(h => h.Branch == b)));
        Assert.Equal(1, ModelHeads.Age.Size);
        Assert.Equal(7, ModelHeads.Expression.Size);
        Assert.Equal(40, ModelHeads.All.Count(h => h.Kind == HeadKind.Binary));
        Assert.All(ModelHeads.All.Where(h => h.Kind == HeadKind.Binary), h => Assert.Equal(2, h.Size));
        Assert.Equal(ModelHeads.All.Length, ModelHeads.All.Select(h => h.Output).Distinct().Count());
    }

    [Theory]
    [InlineData("Gender", FaceAttribute.Male, "gender")]
    [InlineData("Five O'Clock Shadow", FaceAttribute.FiveOClockShadow, "five_oclock_shadow")]
    [InlineData("Young", FaceAttribute.Young, "young")]
    [InlineData("Smiling", FaceAttribute.Smiling, "smiling")]
    [InlineData("Mouth Slightly Open", FaceAttribute.MouthSlightlyOpen, "mouth_slightly_open")]
    public void Heads_MapToCelebAAttributes(string head, FaceAttribute attribute, string output)
    {
        HeadSpec spec = ModelHeads.All.Single(h => h.Name == head);
        Assert.Equal(attribute, spec.Attribute);
        Assert.Equal(output, spec.Output);
        Assert.Same(spec, ModelHeads.All[ModelHeads.AttributeHead[(int)attribute]]);
    }

    [Fact]
    public void AttributeNames_AreCelebAsFortyInFileOrder()
    {
        Assert.Equal(40, Enum.GetValues<FaceAttribute>().Length);
        Assert.Equal("5_o_Clock_Shadow", FaceAttribute.FiveOClockShadow.CelebAName());
        Assert.Equal("Male", FaceAttribute.Male.CelebAName());
        Assert.Equal("Young", FaceAttribute.Young.CelebAName());
        Assert.Equal(20, (int)FaceAttribute.Male);
        Assert.True(FaceAttributeNames.TryParse("Wearing_Hat", out FaceAttribute hat));
        Assert.Equal(FaceAttribute.WearingHat, hat);
        Assert.False(FaceAttributeNames.TryParse("Wearing Hat", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ((FaceAttribute)40).CelebAName());
    }

    [Fact]
    public void Expressions_AreInRafDbOrder()
    {
        Assert.Equal(
            new[] { "Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral" },
            Enum.GetValues<Expression>().OrderBy(e => (int)e).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData(0f, 0f, 0.5f)]
    [InlineData(0f, 2f, 0.880797f)]
    [InlineData(3f, -1f, 0.0179862f)]
    [InlineData(1000f, 1001f, 0.731059f)]
    public void PresentProbability_IsTheSoftmaxOfIndexOne(float absent, float present, float expected)
    {
        Assert.Equal(expected, FaceDecoder.PresentProbability([absent, present]), 5);
    }

    [Fact]
    public void Softmax_IsStableForLargeLogitsAndSumsToOne()
    {
        float[] p = new float[3];
        FaceDecoder.Softmax([500f, 501f, -300f], p);
        Assert.Equal(0.268941f, p[0], 5);
        Assert.Equal(0.731059f, p[1], 5);
        Assert.Equal(0f, p[2]);
        Assert.Equal(1f, p.Sum(), 6);
        Assert.Throws<ArgumentException>(() => FaceDecoder.Softmax([1f, 2f], new float[1]));
    }

    [Fact]
    public void PresentProbability_ThrowsForOtherSizes()
    {
        Assert.Throws<ArgumentException>(() => FaceDecoder.PresentProbability([1f, 2f, 3f]));
    }

    [Fact]
    public void Normalize_GivesUnitLengthAndReturnsTheNorm()
    {
        float[] v = [3f, 4f];
        float[] unit = new float[2];
        Assert.Equal(5f, FaceDecoder.Normalize(v, unit));
        Assert.Equal(new[] { 0.6f, 0.8f }, unit);

        float[] zero = new float[2];
        Assert.Equal(0f, FaceDecoder.Normalize(new float[2], zero));
        Assert.All(zero, z => Assert.Equal(0f, z));
        Assert.Throws<ArgumentException>(() => FaceDecoder.Normalize(v, new float[1]));
    }

    [Fact]
    public void Decode_ReadsEveryHeadFromItsOwnLogits()
    {
        using var raw = new RawOutputs(2);
        float[] emb = raw.RentEmbeddings();
        emb.AsSpan(0, 1024).Clear();
        emb[512] = 2f; // face 1: embedding along axis 0
        for (int h = 0; h < ModelHeads.All.Length; h++)
        {
            float[] logits = raw.RentLogits(h);
            int size = ModelHeads.All[h].Size;
            logits.AsSpan(0, 2 * size).Clear();
            // Face 1 gets a distinct, recognisable value per head: "present" logit = head index / 10.
            logits[size + size - 1] = h / 10f;
        }

        FaceAnalysis a = FaceDecoder.Decode(raw, 1, FaceTasks.All);

        Assert.Equal(1f, a.Embedding![0]);
        Assert.Equal(2f, a.EmbeddingNorm);
        Assert.Equal(ModelHeads.All.ToList().IndexOf(ModelHeads.Age) / 10f, a.Age);
        Assert.Equal(Expression.Neutral, a.Expression!.Label);
        float[] p = new float[7];
        float[] logits7 = new float[7];
        logits7[6] = ModelHeads.All.ToList().IndexOf(ModelHeads.Expression) / 10f;
        TensorPrimitives.SoftMax(logits7, p);
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(p[i], a.Expression.Probabilities[i], 6);
        }

        for (int i = 0; i < 40; i++)
        {
            int head = ModelHeads.AttributeHead[i];
            Assert.Equal(FaceDecoder.PresentProbability([0f, head / 10f]), a.Attributes![i].Probability);
        }

        Assert.Equal(a.Attributes![FaceAttribute.Male], a.MaleProbability);
    }

    [Theory]
    [InlineData(FaceTasks.Identity, 0)]
    [InlineData(FaceTasks.Gender, 0b1)]
    [InlineData(FaceTasks.Age, 0b10)]
    [InlineData(FaceTasks.Expression, 0b100)]
    [InlineData(FaceTasks.Age | FaceTasks.Expression | FaceTasks.Identity, 0b110)]
    [InlineData(FaceTasks.Attributes, 0b111_1111_1111)]
    public void BranchMask_RunsOnlyTheBranchesATaskNeeds(FaceTasks tasks, int mask)
    {
        Assert.Equal(mask, ModelHeads.BranchMask(tasks));
    }

    [Fact]
    public void FaceAttributes_IndexesByEnumAndEnumerates()
    {
        float[] p = Enumerable.Range(0, 40).Select(i => i / 40f).ToArray();
        var attributes = new FaceAttributes(p);
        Assert.Equal(40, attributes.Count);
        Assert.Equal(20 / 40f, attributes[FaceAttribute.Male]);
        Assert.Equal("Young", attributes[39].Name);
        Assert.True(attributes[39].IsPresent);
        Assert.False(attributes[0].IsPresent);
        Assert.Equal(p, attributes.Select(a => a.Probability));
        Assert.Throws<ArgumentOutOfRangeException>(() => attributes[40]);
        Assert.Throws<ArgumentException>(() => new FaceAttributes(new float[39]));
    }
}
