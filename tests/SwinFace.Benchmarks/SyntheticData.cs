using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Recognition;

namespace SwinFace.Benchmarks;

/// <summary>Seeded random inputs: the model's cost does not depend on what the pixels show.</summary>
internal static class SyntheticData
{
    /// <summary>The length of an identity embedding.</summary>
    public const int EmbeddingSize = 512;

    /// <summary>Creates 112 x 112 faces of random pixels; the caller disposes them.</summary>
    public static Image<Rgb24>[] Faces(int count, int seed)
    {
        var random = new Random(seed);
        var faces = new Image<Rgb24>[count];
        byte[] rgb = new byte[112 * 112 * 3];
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(rgb);
            faces[i] = Image.LoadPixelData<Rgb24>(rgb, 112, 112);
        }

        return faces;
    }

    /// <summary>Fills <paramref name="embedding"/> with a random direction (the gallery normalises it).</summary>
    public static void Embedding(Random random, Span<float> embedding)
    {
        for (int i = 0; i < embedding.Length; i++)
        {
            embedding[i] = (random.NextSingle() * 2f) - 1f;
        }
    }

    /// <summary>Creates a gallery of <paramref name="count"/> identities with one random template each, enrolled one by one.</summary>
    public static FaceGallery Gallery(int count, int seed)
    {
        var random = new Random(seed);
        var gallery = new FaceGallery();
        float[] embedding = new float[EmbeddingSize];
        try
        {
            for (int i = 0; i < count; i++)
            {
                Embedding(random, embedding);
                gallery.Enroll(IdentityId(i), embedding);
            }

            return gallery;
        }
        catch
        {
            gallery.Dispose();
            throw;
        }
    }

    /// <summary>The id of the <paramref name="index"/>th synthetic identity, 14 characters as a typical short id.</summary>
    public static string IdentityId(int index) => string.Create(CultureInfo.InvariantCulture, $"person-{index:D7}");
}
