using System.Security.Cryptography;
using System.Text.Json;
using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>The threshold sidecar file next to a model.</summary>
public sealed class ThresholdStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _model;

    public ThresholdStoreTests()
    {
        _model = _folder.File("model.swinface");
        File.WriteAllBytes(_model, RandomNumberGenerator.GetBytes(4096));
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Save_ThenTryLoad_RoundTrips()
    {
        VerificationThreshold far = VerificationThreshold.AtFalseAcceptRate(0.3172f, 1e-3, 6000, "LFW");
        ThresholdStore.Save(_model, far);
        Assert.True(ThresholdStore.TryLoad(_model, out VerificationThreshold? loaded));
        Assert.Equal(far, loaded);

        VerificationThreshold best = VerificationThreshold.AtBestAccuracy(-0.125f, 12);
        ThresholdStore.Save(_model, best);
        Assert.True(ThresholdStore.TryLoad(_model, out loaded));
        Assert.Equal(best, loaded);
        Assert.Equal(["model.swinface", "model.swinface.threshold.json"], _folder.Files());
    }

    [Fact]
    public void Save_RecordsTheRuleDateAndModelHash()
    {
        ThresholdStore.Save(_model, VerificationThreshold.AtFalseAcceptRate(0.4f, 1e-4, 20_000, "mine"));
        Assert.Equal(_model + ".threshold.json", ThresholdStore.GetPath(_model));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(ThresholdStore.GetPath(_model)));
        JsonElement root = json.RootElement;
        Assert.Equal(0.4f, root.GetProperty("threshold").GetSingle());
        Assert.Equal("targetFalseAcceptRate", root.GetProperty("rule").GetString());
        Assert.Equal(1e-4, root.GetProperty("targetFalseAcceptRate").GetDouble());
        Assert.Equal(20_000, root.GetProperty("pairCount").GetInt32());
        Assert.Equal("mine", root.GetProperty("dataset").GetString());
        Assert.InRange(root.GetProperty("savedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_model))), root.GetProperty("modelSha256").GetString());
    }

    [Fact]
    public void TryLoad_ReturnsFalseWithoutASidecar()
    {
        Assert.False(ThresholdStore.TryLoad(_model, out VerificationThreshold? loaded));
        Assert.Null(loaded);
    }

    [Fact]
    public void TryLoad_ThrowsForAnotherModel()
    {
        ThresholdStore.Save(_model, VerificationThreshold.AtBestAccuracy(0.3f, 100));
        byte[] other = File.ReadAllBytes(_model);
        other[100] ^= 1;
        File.WriteAllBytes(_model, other);

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => ThresholdStore.TryLoad(_model, out _));
        Assert.Contains("another model", e.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(other)), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"format\":\"something-else\"}", "not a SwinFace threshold file")]
    [InlineData("{\"format\":\"swinface-threshold\",\"version\":2}", "unsupported version")]
    [InlineData("{\"format\":\"swinface-threshold\",\"version\":1}", "\"modelSha256\" is missing")]
    public void TryLoad_ThrowsForMalformedSidecars(string content, string what)
    {
        File.WriteAllText(ThresholdStore.GetPath(_model), content);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => ThresholdStore.TryLoad(_model, out _));
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_ThrowsForInvalidValues()
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_model)));
        File.WriteAllText(
            ThresholdStore.GetPath(_model),
            $"{{\"format\":\"swinface-threshold\",\"version\":1,\"modelSha256\":\"{sha}\",\"threshold\":0.3,\"rule\":\"targetFalseAcceptRate\",\"targetFalseAcceptRate\":2,\"pairCount\":10}}");
        Assert.Contains("invalid value", Assert.Throws<InvalidDataException>(() => ThresholdStore.TryLoad(_model, out _)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveAndTryLoad_ThrowForAMissingModel()
    {
        string missing = _folder.File("missing.swinface");
        Assert.Throws<FileNotFoundException>(() => ThresholdStore.Save(missing, VerificationThreshold.AtBestAccuracy(0.3f, 100)));
        Assert.Throws<FileNotFoundException>(() => ThresholdStore.TryLoad(missing, out _));
        Assert.Throws<ArgumentException>(() => ThresholdStore.GetPath(""));
    }
}
