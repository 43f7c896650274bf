using System.Xml.Linq;
using SixLabors.ImageSharp;
using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>A photo with the faces a person counted, and their hand-drawn boxes where there are some.</summary>
/// <param name="Path">The photo's path.</param>
/// <param name="Faces">How many faces a person counts.</param>
/// <param name="Boxes">The hand-drawn boxes (dlib's imglab files), or <see langword="null"/> when the photo has only a count.</param>
internal sealed record LabelledPhoto(string Path, int Faces, IReadOnlyList<RectangleF>? Boxes)
{
    public string Name => System.IO.Path.GetFileName(Path);

    public override string ToString() => Name;
}

/// <summary>How the detections of one photo compare with its labels.</summary>
/// <param name="Found">The detections.</param>
/// <param name="Matched">Labelled boxes with a detection at IoU 0.5 or more (one detection for one box); the count when there are no boxes.</param>
/// <param name="Extra">Detections that match no labelled box; with a count only, the detections beyond it.</param>
internal sealed record LabelledResult(int Found, int Matched, int Extra);

/// <summary>
/// The labelled photos of <c>../shared/testdata/</c>: the dlib photos with the boxes of <c>training.xml</c>
/// and <c>testing.xml</c>, <c>dogs.jpg</c> (no people), the two public-domain photos, and the photos of
/// <c>photos/</c> with their counts (<c>../shared/testdata/*/README.md</c>).
/// </summary>
internal static class LabelledPhotos
{
    /// <summary>The intersection over union at which a detection matches a labelled box.</summary>
    public const float MatchOverlap = 0.5f;

    /// <summary>Loads every labelled photo.</summary>
    /// <param name="shared">The <c>shared</c> folder beside the repository.</param>
    /// <param name="astronaut">The astronaut portrait that <c>models/fetch-testimages.sh</c> fetches, or <see langword="null"/> to leave it out.</param>
    public static IReadOnlyList<LabelledPhoto> Load(string shared, string? astronaut)
    {
        string dlib = System.IO.Path.Combine(shared, "testdata", "labelled", "dlib");
        var photos = new List<LabelledPhoto>();
        foreach (string xml in (string[])["training.xml", "testing.xml"])
        {
            foreach (XElement image in XDocument.Load(System.IO.Path.Combine(dlib, xml)).Descendants("image"))
            {
                RectangleF[] boxes = [.. image.Elements("box").Select(b => new RectangleF(
                    Number(b, "left"), Number(b, "top"), Number(b, "width"), Number(b, "height")))];
                photos.Add(new LabelledPhoto(System.IO.Path.Combine(dlib, (string)image.Attribute("file")!), boxes.Length, boxes));
            }
        }

        photos.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        photos.Add(new LabelledPhoto(System.IO.Path.Combine(dlib, "dogs.jpg"), 0, []));
        string pd = System.IO.Path.Combine(shared, "testdata", "labelled", "public-domain");
        photos.Add(new LabelledPhoto(System.IO.Path.Combine(pd, "obama_family.jpg"), 4, null));
        photos.Add(new LabelledPhoto(System.IO.Path.Combine(pd, "biden_7mpx.jpg"), 1, null));
        string ph = System.IO.Path.Combine(shared, "testdata", "photos");
        photos.Add(new LabelledPhoto(System.IO.Path.Combine(ph, "three-faces.jpg"), 3, null));
        photos.Add(new LabelledPhoto(System.IO.Path.Combine(ph, "one-face-turned.jpg"), 1, null));
        if (astronaut is not null)
        {
            photos.Add(new LabelledPhoto(astronaut, 1, null));
        }

        return photos;
    }

    /// <summary>
    /// The six group photos of <c>@vladmandic/face-api</c> that an int8 conversion is measured on
    /// (<c>models/fidelity/</c>, fetched by the build), with the faces counted here: 22 frontal or turned faces,
    /// none of them small.
    /// </summary>
    /// <param name="folder">The <c>models/fidelity</c> folder.</param>
    public static IReadOnlyList<LabelledPhoto> Counted(string folder) =>
        [.. new[] { 3, 3, 3, 4, 5, 4 }.Select((faces, i) => new LabelledPhoto(System.IO.Path.Combine(folder, $"sample{i + 1}.jpg"), faces, null))];

    /// <summary>Compares detections with a photo's labels.</summary>
    public static LabelledResult Compare(LabelledPhoto photo, IReadOnlyList<FaceDetection> found) =>
        photo.Boxes is { } boxes ? Compare(boxes, [.. found.Select(f => f.Box)]) : new LabelledResult(found.Count, Math.Min(found.Count, photo.Faces), Math.Max(0, found.Count - photo.Faces));

    /// <summary>
    /// Matches boxes greedily, the best overlapping pair first, one detection for one labelled box, at
    /// <see cref="MatchOverlap"/> or more.
    /// </summary>
    public static LabelledResult Compare(IReadOnlyList<RectangleF> labelled, IReadOnlyList<RectangleF> found)
    {
        var pairs = new List<(float Iou, int L, int F)>();
        for (int l = 0; l < labelled.Count; l++)
        {
            for (int f = 0; f < found.Count; f++)
            {
                float iou = Iou(labelled[l], found[f]);
                if (iou >= MatchOverlap)
                {
                    pairs.Add((iou, l, f));
                }
            }
        }

        bool[] usedL = new bool[labelled.Count], usedF = new bool[found.Count];
        int matched = 0;
        foreach ((float _, int l, int f) in pairs.OrderByDescending(p => p.Iou))
        {
            if (!usedL[l] && !usedF[f])
            {
                usedL[l] = usedF[f] = true;
                matched++;
            }
        }

        return new LabelledResult(found.Count, matched, found.Count - matched);
    }

    /// <summary>The intersection over union of two boxes.</summary>
    public static float Iou(RectangleF a, RectangleF b)
    {
        var inner = RectangleF.Intersect(a, b);
        if (inner.Width <= 0 || inner.Height <= 0)
        {
            return 0;
        }

        float i = inner.Width * inner.Height;
        return i / ((a.Width * a.Height) + (b.Width * b.Height) - i);
    }

    private static float Number(XElement box, string name) =>
        float.Parse((string)box.Attribute(name)!, System.Globalization.CultureInfo.InvariantCulture);
}
