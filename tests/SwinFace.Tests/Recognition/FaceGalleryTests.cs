using System.Numerics.Tensors;
using SwinFace.Recognition;
using static SwinFace.Tests.Recognition.RecognitionTestData;

namespace SwinFace.Tests.Recognition;

/// <summary>
/// The synchronous API of <see cref="FaceGallery"/>: its parallel search, removal by moving the last row, the
/// single-face overload and disposal. What every gallery shares is in <see cref="GalleryContractTests"/>.
/// </summary>
public sealed class FaceGalleryTests
{
    [Theory]
    [InlineData(500, 10)]
    [InlineData(25_000, 7)]
    public void Search_ReturnsTopKInOrder(int count, int k)
    {
        // 25,000 identities take the parallel path; the result must equal a brute-force scan.
        var random = new Random(count);
        using var gallery = new FaceGallery();
        float[][] templates = new float[count][];
        for (int i = 0; i < count; i++)
        {
            float[] face = Embedding(random);
            gallery.Enroll(i.ToString(System.Globalization.CultureInfo.InvariantCulture), face);
            templates[i] = Unit(face);
        }

        for (int probe = 0; probe < 3; probe++)
        {
            float[] query = Embedding(random);
            float[] unit = Unit(query);
            GalleryMatch[] expected = [.. templates
                .Select((t, i) => new GalleryMatch(i.ToString(System.Globalization.CultureInfo.InvariantCulture), TensorPrimitives.Dot(t, unit)))
                .OrderByDescending(m => m.Similarity)
                .Take(k)];

            IReadOnlyList<GalleryMatch> found = gallery.Search(query, k);

            Assert.Equal(expected.Select(m => m.Id), found.Select(m => m.Id));
            Assert.Equal(expected.Select(m => m.Similarity), found.Select(m => m.Similarity), (a, b) => Math.Abs(a - b) < 1e-6f);
        }
    }

    [Fact]
    public void Enroll_SeveralFaces_StoresTheNormalisedMeanOfUnitEmbeddings()
    {
        var random = new Random(5);
        float[][] faces = [Embedding(random), Embedding(random), Embedding(random)];
        float[] mean = new float[Dimension];
        foreach (float[] face in faces)
        {
            TensorPrimitives.Add(mean, Unit(face), mean);
        }

        // Re-averaging a running template with equal weight for the newest face would give another direction.
        float[] pairwise = new float[Dimension];
        TensorPrimitives.Add(Unit([.. Unit(faces[0]).Zip(Unit(faces[1]), (a, b) => a + b)]), Unit(faces[2]), pairwise);

        using var atOnce = new FaceGallery();
        atOnce.Enroll("x", faces);
        using var oneByOne = new FaceGallery();
        foreach (float[] face in faces)
        {
            // Scaled copies: the gallery normalises each face before averaging.
            oneByOne.Enroll("x", [.. face.Select(v => v * 7.5f)]);
        }

        foreach (FaceGallery gallery in new[] { atOnce, oneByOne })
        {
            Assert.Equal(1, gallery.Count);
            Assert.Equal(3, gallery.GetFaceCount("x"));
            Assert.Equal(1f, gallery.Search(mean, 1)[0].Similarity, 5);
            Assert.True(gallery.Search(pairwise, 1)[0].Similarity < 0.99f);
        }
    }

    [Fact]
    public void Enroll_ThrowsForBadIdsAndEmbeddings()
    {
        var random = new Random(6);
        float[] face = Embedding(random);
        using var gallery = new FaceGallery();
        Assert.Throws<ArgumentNullException>(() => gallery.Enroll(null!, face));
        Assert.Throws<ArgumentException>(() => gallery.Enroll("", face));
        Assert.Throws<ArgumentException>(() => gallery.Enroll(new string('é', 129), face)); // 258 UTF-8 bytes
        Assert.Throws<ArgumentException>(() => gallery.Enroll("bad \ud800", face));
        Assert.Throws<ArgumentException>(() => gallery.Enroll("x", new float[100]));
        Assert.Throws<ArgumentException>(() => gallery.Enroll("x", new float[Dimension]));
        float[] nan = (float[])face.Clone();
        nan[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => gallery.Enroll("x", nan));
        Assert.Throws<ArgumentException>(() => gallery.Enroll("x", Array.Empty<float[]>()));
        Assert.Throws<ArgumentNullException>(() => gallery.Enroll("x", new float[][] { face, null! }));
        Assert.Throws<ArgumentException>(() => gallery.Enroll("x", [face, [.. face.Select(v => -v)]]));
        Assert.Equal(0, gallery.Count);

        gallery.Enroll(new string('é', 128), face); // exactly 256 bytes
        Assert.Throws<ArgumentException>(() => gallery.Enroll(new string('é', 128), [.. face.Select(v => -v)]));
        Assert.Equal(1, gallery.GetFaceCount(new string('é', 128)));
    }

    [Fact]
    public void Remove_MovesTheLastIdentityIntoTheFreedRow()
    {
        var random = new Random(8);
        float[][] faces = [.. Enumerable.Range(0, 4).Select(_ => Embedding(random))];
        using var gallery = new FaceGallery();
        for (int i = 0; i < faces.Length; i++)
        {
            gallery.Enroll($"id{i}", faces[i]);
        }

        Assert.True(gallery.Remove("id1"));
        Assert.False(gallery.Remove("id1"));
        Assert.Equal(3, gallery.Count);
        Assert.False(gallery.Contains("id1"));
        Assert.Equal(["id0", "id2", "id3"], gallery.GetIds().Order(StringComparer.Ordinal));
        foreach (int i in new[] { 0, 2, 3 })
        {
            GalleryMatch best = gallery.Search(faces[i], 1)[0];
            Assert.Equal($"id{i}", best.Id);
            Assert.Equal(1f, best.Similarity, 5);
        }

        Assert.DoesNotContain(gallery.Search(faces[1], 10), m => m.Id == "id1");
        Assert.True(gallery.Remove("id3")); // the last row itself
        Assert.True(gallery.Remove("id0"));
        Assert.True(gallery.Remove("id2"));
        Assert.Empty(gallery.Search(faces[0], 3));
        gallery.Enroll("id0", faces[0]);
        Assert.Equal("id0", gallery.Search(faces[0], 1)[0].Id);
    }

    [Fact]
    public async Task Search_RunsWhileAnotherThreadEnrolls()
    {
        // 21,000 identities take the parallel search path while a writer enrolls, removes and renames.
        var random = new Random(10);
        using var gallery = new FaceGallery();
        float[] anchor = Embedding(random);
        gallery.Enroll("anchor", anchor);
        for (int i = 0; i < 21_000; i++)
        {
            gallery.Enroll($"base {i}", Embedding(random));
        }

        float[][] extra = [.. Enumerable.Range(0, 1_000).Select(_ => Embedding(random))];
        // Dedicated threads: readers that spin on pool threads can starve a writer queued behind them.
        Task writer = Task.Factory.StartNew(
            () =>
        {
            for (int i = 0; i < extra.Length; i++)
            {
                gallery.Enroll($"new {i}", extra[i]);
                if (i % 3 == 0)
                {
                    gallery.Remove($"base {i}");
                }

                if (i % 5 == 0)
                {
                    gallery.Rename($"base {i + 10_000}", $"renamed {i}");
                }
            }
        },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Task[] readers = [.. Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(
            () =>
        {
            int searches = 0;
            while (!writer.IsCompleted || searches < 5)
            {
                IReadOnlyList<GalleryMatch> found = gallery.Search(anchor, 5);
                Assert.Equal(5, found.Count);
                Assert.Equal("anchor", found[0].Id);
                Assert.Equal(1f, found[0].Similarity, 5);
                Assert.All(found.Zip(found.Skip(1)), p => Assert.True(p.First.Similarity >= p.Second.Similarity));
                Assert.Equal(5, found.Select(m => m.Id).Distinct().Count());
                searches++;
            }
        },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))];

        await Task.WhenAll([writer, .. readers]);
        Assert.Equal(1 + 21_000 + 1_000 - 334, gallery.Count);
        Assert.Equal("new 999", gallery.Search(extra[999], 1)[0].Id);
    }

    [Fact]
    public void Dispose_ThenUse_Throws()
    {
        var gallery = new FaceGallery();
        gallery.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gallery.Count);
        Assert.Throws<ObjectDisposedException>(() => gallery.Enroll("x", Embedding(new Random(11))));
    }
}
