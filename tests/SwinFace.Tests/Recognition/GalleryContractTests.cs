using System.Globalization;
using System.Numerics.Tensors;
using SwinFace.Recognition;
using static SwinFace.Tests.Recognition.RecognitionTestData;

namespace SwinFace.Tests.Recognition;

/// <summary>
/// What every <see cref="IFaceGallery"/> and <see cref="IFaceGalleryStore"/> must do, run once for the in-memory
/// <see cref="FaceGallery"/> and once for each other kind (this file is linked into their test projects, so it
/// uses the public API only). Scores are compared with a <see cref="FaceGallery"/> given the same enrolments, to
/// the last bit.
/// </summary>
public abstract class GalleryContractTests
{
    /// <summary>
    /// Identities in <see cref="Search_LargerGallery_ScoresEqualFaceGallerysToTheLastBit"/>: more than a store that
    /// reads small galleries whole may read, so that its index answers (the pgvector tests set their floor below).
    /// </summary>
    protected const int LargerGallery = 40;

    /// <summary>Gets the store under test.</summary>
    protected abstract IFaceGalleryStore Store { get; }

    /// <summary>Gets a second store over the same galleries, as another replica of a service opens them.</summary>
    protected abstract IFaceGalleryStore Replica { get; }

    [GalleryFact]
    public async Task Store_CreatesListsOpensAndDeletesGalleries()
    {
        string name = NewName();
        Assert.Null(await Store.OpenAsync(name));
        Assert.True(await Store.TryCreateAsync(name, "model-1"));
        Assert.False(await Store.TryCreateAsync(name, "model-2"));
        Assert.True(await Store.TryCreateAsync(name + ".none", null));

        IFaceGallery gallery = (await Store.OpenAsync(name))!;
        Assert.Equal("model-1", gallery.Model);
        Assert.Null((await Store.OpenAsync(name + ".none"))!.Model);
        await gallery.EnrollAsync("a", [Embedding(new Random(1))]);

        IReadOnlyList<GalleryInfo> listed = await Store.ListAsync();
        Assert.Contains(new GalleryInfo(name, "model-1", 1), listed);
        Assert.Contains(new GalleryInfo(name + ".none", null, 0), listed);
        Assert.Equal(listed.Select(g => g.Name).Order(StringComparer.Ordinal), listed.Select(g => g.Name));

        Assert.True(await Store.DeleteAsync(name));
        Assert.False(await Store.DeleteAsync(name));
        Assert.Null(await Store.OpenAsync(name));
        Assert.DoesNotContain(await Store.ListAsync(), g => g.Name == name);

        // A new gallery of the deleted one's name starts empty.
        Assert.True(await Store.TryCreateAsync(name, "model-3"));
        IFaceGallery again = (await Store.OpenAsync(name))!;
        Assert.Equal("model-3", again.Model);
        Assert.Equal(0, await again.CountAsync());
        Assert.True(await Store.DeleteAsync(name + ".none"));
    }

    [GalleryFact]
    public async Task Store_RefusesBadNamesAndModels()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.TryCreateAsync(null!, "m"));
        foreach (string bad in new[] { "", ".hidden", "a/b", "a b", "é", "a;drop", new string('x', GalleryInfo.MaxNameLength + 1) })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Store.TryCreateAsync(bad, "m"));
        }

        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryCreateAsync(NewName(), ""));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryCreateAsync(NewName(), "bad \ud800"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryCreateAsync(NewName(), new string('m', 257)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.OpenAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.DeleteAsync(null!));

        string longest = NewName();
        longest += new string('x', GalleryInfo.MaxNameLength - longest.Length);
        Assert.Equal(GalleryInfo.MaxNameLength, longest.Length);
        Assert.True(await Store.TryCreateAsync(longest, "m"));
        Assert.True(await Store.DeleteAsync(longest));
    }

    [GalleryFact]
    public async Task Enroll_ThenSearch_FindsEachIdentity()
    {
        var random = new Random(2);
        IFaceGallery gallery = await NewGalleryAsync();
        float[][] faces = [.. Enumerable.Range(0, 12).Select(_ => Embedding(random))];
        for (int i = 0; i < faces.Length; i++)
        {
            Assert.Equal(1, await gallery.EnrollAsync($"person {i}", [faces[i]]));
        }

        Assert.Equal(12, await gallery.CountAsync());
        for (int i = 0; i < faces.Length; i++)
        {
            GalleryMatch best = (await gallery.SearchAsync(faces[i], 1))[0];
            Assert.Equal($"person {i}", best.Id);
            Assert.Equal(1f, best.Similarity, 5);
        }
    }

    [GalleryFact]
    public async Task Search_ScoresEqualFaceGallerysToTheLastBit()
    {
        // New identities, several faces at once, more faces later, scaled faces, a rename and a removal.
        var random = new Random(3);
        IFaceGallery gallery = await NewGalleryAsync();
        using var reference = new FaceGallery();
        async Task Enroll(string id, params float[][] faces)
        {
            int count = await gallery.EnrollAsync(id, faces);
            reference.Enroll(id, faces);
            Assert.Equal(reference.GetFaceCount(id), count);
        }

        for (int i = 0; i < 8; i++)
        {
            await Enroll($"id {i}", Embedding(random));
        }

        await Enroll("several", Embedding(random), Embedding(random), Embedding(random));
        await Enroll("id 2", Embedding(random), [.. Embedding(random).Select(v => v * 40f)]);
        await Enroll("id 5", [.. Embedding(random).Select(v => v * 1e-3f)]);
        await gallery.RenameAsync("id 3", "renamed");
        reference.Rename("id 3", "renamed");
        Assert.True(await gallery.RemoveAsync("id 7"));
        reference.Remove("id 7");

        for (int probe = 0; probe < 6; probe++)
        {
            float[] query = probe < 3 ? Embedding(random) : Noisy(random, Embedding(new Random(3)), 0.3f);
            foreach (int k in new[] { 1, 3, 20 })
            {
                AssertSame(reference.Search(query, k), await gallery.SearchAsync(query, k));
            }
        }
    }

    [GalleryFact]
    public async Task Search_LargerGallery_ScoresEqualFaceGallerysToTheLastBit()
    {
        var random = new Random(4);
        IFaceGallery gallery = await NewGalleryAsync();
        using var reference = new FaceGallery();
        float[][] faces = [.. Enumerable.Range(0, LargerGallery).Select(_ => Embedding(random))];
        for (int i = 0; i < faces.Length; i++)
        {
            string id = i.ToString(CultureInfo.InvariantCulture);
            await gallery.EnrollAsync(id, [faces[i]]);
            reference.Enroll(id, faces[i]);
        }

        Dictionary<string, float> Exact(float[] probe) => reference.Search(probe, LargerGallery).ToDictionary(m => m.Id, m => m.Similarity);
        for (int i = 0; i < faces.Length; i += 5)
        {
            // A probe near an enrolled face: an index finds that face for sure; the other matches, of random
            // faces, an approximate index may miss, but each score it gives is the exact one.
            float[] probe = Noisy(random, faces[i], 0.5f);
            IReadOnlyList<GalleryMatch> found = await gallery.SearchAsync(probe, 3);
            Assert.Equal(3, found.Count);
            Assert.Equal(reference.Search(probe, 1)[0], found[0]);
            Dictionary<string, float> exact = Exact(probe);
            Assert.All(found, m => Assert.Equal(Bits(exact[m.Id]), Bits(m.Similarity)));
            Assert.True(found.Zip(found.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity));
        }
    }

    [GalleryFact]
    public async Task Search_BreaksTiesByEnrollmentOrder()
    {
        float[] face = Embedding(new Random(5));
        IFaceGallery gallery = await NewGalleryAsync();
        foreach (string id in new[] { "c", "a", "b" })
        {
            await gallery.EnrollAsync(id, [face]);
        }

        Assert.Equal(["c", "a"], (await gallery.SearchAsync(face, 2)).Select(m => m.Id));

        // Renaming keeps an identity's place; enrolling it again after removing it puts it last.
        await gallery.RenameAsync("c", "z");
        await gallery.RemoveAsync("a");
        await gallery.EnrollAsync("a", [face]);
        Assert.Equal(["z", "b", "a"], (await gallery.SearchAsync(face, 3)).Select(m => m.Id));
    }

    [GalleryFact]
    public async Task Search_ReturnsEveryIdentityWhenKExceedsTheCount()
    {
        var random = new Random(6);
        IFaceGallery gallery = await NewGalleryAsync();
        Assert.Empty(await gallery.SearchAsync(Embedding(random), 5));
        await gallery.EnrollAsync("a", [Embedding(random)]);
        await gallery.EnrollAsync("b", [Embedding(random)]);
        IReadOnlyList<GalleryMatch> found = await gallery.SearchAsync(Embedding(random), int.MaxValue);
        Assert.Equal(2, found.Count);
        Assert.True(found[0].Similarity >= found[1].Similarity);
    }

    [GalleryFact]
    public async Task Search_ThrowsForABadProbeOrK()
    {
        IFaceGallery gallery = await NewGalleryAsync();
        await gallery.EnrollAsync("a", [Embedding(new Random(7))]);
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.SearchAsync(new float[511], 1));
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.SearchAsync(new float[Dimension], 1));
        float[] nan = Embedding(new Random(7));
        nan[9] = float.NaN;
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.SearchAsync(nan, 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gallery.SearchAsync(Embedding(new Random(7)), 0));
    }

    [GalleryFact]
    public async Task Enroll_MoreFacesLater_EqualsEnrollingThemAtOnce()
    {
        var random = new Random(8);
        float[][] faces = [Embedding(random), Embedding(random), Embedding(random)];
        float[] mean = new float[Dimension];
        foreach (float[] face in faces)
        {
            TensorPrimitives.Add(mean, Unit(face), mean);
        }

        IFaceGallery gallery = await NewGalleryAsync();
        Assert.Equal(3, await gallery.EnrollAsync("at once", faces));
        for (int i = 0; i < faces.Length; i++)
        {
            // Scaled copies: the gallery normalises each face before averaging.
            Assert.Equal(i + 1, await gallery.EnrollAsync("one by one", [[.. faces[i].Select(v => v * 7.5f)]]));
        }

        Assert.Equal(3, await gallery.GetFaceCountAsync("at once"));
        Assert.Equal(3, await gallery.GetFaceCountAsync("one by one"));
        Assert.Equal(0, await gallery.GetFaceCountAsync("nobody"));
        IReadOnlyList<GalleryMatch> found = await gallery.SearchAsync(mean, 2);
        Assert.All(found, m => Assert.Equal(1f, m.Similarity, 5));

        // Faces that cancel each other out add nothing to a stored template's direction, but count.
        Assert.Equal(5, await gallery.EnrollAsync("at once", [faces[0], [.. faces[0].Select(v => -v)]]));
        Assert.Equal(1f, (await gallery.SearchAsync(mean, 1))[0].Similarity, 5);
    }

    [GalleryFact]
    public async Task Enroll_ThrowsForBadIdsAndEmbeddings_AndChangesNothing()
    {
        var random = new Random(9);
        float[] face = Embedding(random);
        IFaceGallery gallery = await NewGalleryAsync();
        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.EnrollAsync(null!, [face]));
        foreach (string bad in new[] { "", new string('é', 129), "bad \ud800", "nul \0 inside" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => gallery.EnrollAsync(bad, [face]));
        }

        float[] nan = (float[])face.Clone();
        nan[3] = float.NaN;
        foreach (float[][] bad in new[] { [new float[100]], [new float[Dimension]], [nan], [face, nan], [face, [.. face.Select(v => -v)]], Array.Empty<float[]>() })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => gallery.EnrollAsync("x", bad));
        }

        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.EnrollAsync("x", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.EnrollAsync("x", [face, null!]));
        Assert.Equal(0, await gallery.CountAsync());

        string longest = new('é', 128); // exactly 256 UTF-8 bytes
        Assert.Equal(1, await gallery.EnrollAsync(longest, [face]));
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.EnrollAsync(longest, [[.. face.Select(v => -v)]]));
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.EnrollAsync(longest, [Embedding(random), new float[3]]));
        Assert.Equal(1, await gallery.GetFaceCountAsync(longest));
        Assert.Equal(1f, (await gallery.SearchAsync(face, 1))[0].Similarity, 5);
    }

    [GalleryFact]
    public async Task Remove_TakesTheIdentityOut()
    {
        var random = new Random(10);
        float[][] faces = [.. Enumerable.Range(0, 4).Select(_ => Embedding(random))];
        IFaceGallery gallery = await NewGalleryAsync();
        for (int i = 0; i < faces.Length; i++)
        {
            await gallery.EnrollAsync($"id{i}", [faces[i]]);
        }

        Assert.True(await gallery.RemoveAsync("id1"));
        Assert.False(await gallery.RemoveAsync("id1"));
        Assert.False(await gallery.RemoveAsync("never"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.RemoveAsync(null!));
        Assert.Equal(3, await gallery.CountAsync());
        Assert.Equal(0, await gallery.GetFaceCountAsync("id1"));
        Assert.DoesNotContain(await gallery.SearchAsync(faces[1], 10), m => m.Id == "id1");
        foreach (int i in new[] { 0, 2, 3 })
        {
            Assert.Equal($"id{i}", (await gallery.SearchAsync(faces[i], 1))[0].Id);
        }

        foreach (string id in new[] { "id3", "id0", "id2" })
        {
            Assert.True(await gallery.RemoveAsync(id));
        }

        Assert.Empty(await gallery.SearchAsync(faces[0], 3));
        await gallery.EnrollAsync("id0", [faces[0]]);
        Assert.Equal("id0", (await gallery.SearchAsync(faces[0], 1))[0].Id);
    }

    [GalleryFact]
    public async Task Rename_KeepsTheTemplateAndFaceCount()
    {
        var random = new Random(11);
        float[] face = Embedding(random);
        IFaceGallery gallery = await NewGalleryAsync();
        await gallery.EnrollAsync("old", [face, face]);
        await gallery.EnrollAsync("other", [Embedding(random)]);
        float before = (await gallery.SearchAsync(face, 1))[0].Similarity;

        await gallery.RenameAsync("old", "new");
        Assert.Equal(0, await gallery.GetFaceCountAsync("old"));
        Assert.Equal(2, await gallery.GetFaceCountAsync("new"));
        Assert.Equal(new GalleryMatch("new", before), (await gallery.SearchAsync(face, 1))[0]);
        await gallery.RenameAsync("new", "new");
        Assert.Equal("new", (await gallery.SearchAsync(face, 1))[0].Id);

        await Assert.ThrowsAsync<ArgumentException>(() => gallery.RenameAsync("new", "other"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => gallery.RenameAsync("old", "older"));
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.RenameAsync("new", ""));
        await Assert.ThrowsAsync<ArgumentException>(() => gallery.RenameAsync("new", new string('é', 129)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.RenameAsync(null!, "x"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => gallery.RenameAsync("new", null!));
        Assert.Equal(2, await gallery.CountAsync());
        Assert.Equal(2, await gallery.GetFaceCountAsync("new"));
        Assert.Equal(1, await gallery.GetFaceCountAsync("other"));
    }

    [GalleryFact]
    public async Task List_PagesThroughIdsInOrdinalOrder()
    {
        // Ordinal order is UTF-16 code units: U+FF01 comes after the surrogates of U+1F600, unlike code point order.
        string[] ids = ["b", "a", "B", "a b", "é", "\uFF01", "\U0001F600", "z", "10", "9", "ab"];
        IFaceGallery gallery = await NewGalleryAsync();
        var random = new Random(12);
        for (int i = 0; i < ids.Length; i++)
        {
            await gallery.EnrollAsync(ids[i], [.. Enumerable.Range(0, 1 + (i % 3)).Select(_ => Embedding(random))]);
        }

        string[] ordinal = [.. ids.Order(StringComparer.Ordinal)];
        var pages = new List<GalleryIdentity>();
        string? after = null;
        for (int pageCount = 0; ; pageCount++)
        {
            // A gallery that pages wrongly must fail here, not loop.
            Assert.InRange(pageCount, 0, ids.Length / 4);
            IReadOnlyList<GalleryIdentity> page = await gallery.ListAsync(after, 4);
            Assert.InRange(page.Count, 0, 4);
            pages.AddRange(page);
            if (page.Count < 4)
            {
                break;
            }

            after = page[^1].Id;
        }

        Assert.Equal(ordinal, pages.Select(p => p.Id));
        Assert.Equal(ids.Select((id, i) => new GalleryIdentity(id, 1 + (i % 3))).OrderBy(p => p.Id, StringComparer.Ordinal), pages);

        // After an id that is not enrolled: the ids above it.
        Assert.Equal(ordinal.Where(id => string.CompareOrdinal(id, "aa") > 0).Take(3), (await gallery.ListAsync("aa", 3)).Select(p => p.Id));
        Assert.Empty(await gallery.ListAsync("\uFFFF", 3));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gallery.ListAsync(null, 0));
    }

    [GalleryFact]
    public async Task Replicas_SeeOneAnothersChanges()
    {
        var random = new Random(13);
        string name = NewName();
        Assert.True(await Store.TryCreateAsync(name, "model-r"));
        IFaceGallery one = (await Store.OpenAsync(name))!;
        IFaceGallery two = (await Replica.OpenAsync(name))!;
        Assert.Equal("model-r", two.Model);
        Assert.False(await Replica.TryCreateAsync(name, "model-r"));

        float[] face = Embedding(random);
        await one.EnrollAsync("ann", [face]);
        await two.EnrollAsync("ann", [Embedding(random)]);
        Assert.Equal(2, await one.GetFaceCountAsync("ann"));
        Assert.Equal(await one.SearchAsync(face, 5), await two.SearchAsync(face, 5));

        await two.RenameAsync("ann", "anne");
        Assert.Equal("anne", (await one.SearchAsync(face, 1))[0].Id);
        Assert.True(await one.RemoveAsync("anne"));
        Assert.Equal(0, await two.CountAsync());

        Assert.True(await Replica.DeleteAsync(name));
        Assert.Null(await Store.OpenAsync(name));
    }

    [GalleryFact]
    public async Task Enroll_AtOnceFromTwoReplicas_LosesNoFace()
    {
        var random = new Random(14);
        string name = NewName();
        Assert.True(await Store.TryCreateAsync(name, "model-c"));
        IFaceGallery[] replicas = [(await Store.OpenAsync(name))!, (await Replica.OpenAsync(name))!];
        const int PerReplica = 6;
        float[][][] faces = [.. Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, PerReplica).Select(_ => Embedding(random)).ToArray())];

        // Each replica adds faces to one shared identity, and each adds the same new identity, all at once.
        Task[] work = [.. Enumerable.Range(0, 2).SelectMany(r => Enumerable.Range(0, PerReplica).Select(i => Task.Run(async () =>
        {
            await replicas[r].EnrollAsync("shared", [faces[r][i]]);
            await replicas[r].EnrollAsync($"new {i}", [faces[r][i]]);
        })))];
        await Task.WhenAll(work);

        Assert.Equal(2 * PerReplica, await replicas[0].GetFaceCountAsync("shared"));
        Assert.Equal(1 + PerReplica, await replicas[1].CountAsync());
        for (int i = 0; i < PerReplica; i++)
        {
            Assert.Equal(2, await replicas[1].GetFaceCountAsync($"new {i}"));
        }

        // The shared template is the mean of every face, in whatever order they came.
        float[] mean = new float[Dimension];
        foreach (float[] face in faces.SelectMany(f => f))
        {
            TensorPrimitives.Add(mean, Unit(face), mean);
        }

        GalleryMatch best = (await replicas[1].SearchAsync(mean, 1))[0];
        Assert.Equal("shared", best.Id);
        Assert.Equal(1f, best.Similarity, 5);
    }

    /// <summary>A gallery name no other test uses.</summary>
    protected static string NewName() => "t-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Creates an empty gallery of a new name in <see cref="Store"/>.</summary>
    protected async Task<IFaceGallery> NewGalleryAsync(string? model = "model-x")
    {
        string name = NewName();
        Assert.True(await Store.TryCreateAsync(name, model));
        return (await Store.OpenAsync(name))!;
    }

    private static void AssertSame(IReadOnlyList<GalleryMatch> expected, IReadOnlyList<GalleryMatch> actual)
    {
        Assert.Equal(expected.Select(m => m.Id), actual.Select(m => m.Id));
        Assert.Equal(expected.Select(m => Bits(m.Similarity)), actual.Select(m => Bits(m.Similarity)));
    }

    private static int Bits(float value) => BitConverter.SingleToInt32Bits(value);

    /// <summary>A face plus noise of the given size relative to it: the same person in another photo.</summary>
    private static float[] Noisy(Random random, float[] face, float noise)
    {
        float[] unit = Unit(face);
        float[] other = Unit(Embedding(random));
        return [.. unit.Zip(other, (a, b) => a + (noise * b))];
    }
}
