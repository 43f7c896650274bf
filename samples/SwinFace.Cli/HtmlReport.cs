using System.Globalization;
using System.Net;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Analysis;
using SwinFace.Detection;

namespace SwinFace.Cli;

/// <summary>
/// Writes the analyses as one self-contained HTML page: every image inlined as a data URI, boxes drawn
/// as an SVG overlay, no script and nothing loaded from elsewhere.
/// </summary>
internal static class HtmlReport
{
    /// <summary>The longer side of a photo in the report, in pixels; larger photos are scaled down.</summary>
    private const int PhotoMaxSide = 1024;

    private const int PhotoQuality = 85;

    /// <summary>The longer side of an aligned-mode input in the report; an aligned crop is 112.</summary>
    private const int CropMaxSide = 224;

    /// <summary>At most this many present attributes are shown per face, strongest first.</summary>
    private const int TopAttributes = 8;

    /// <summary>Below this source size the aligned crop was upsampled (the model sees 112 x 112).</summary>
    private const float LowResolution = 112;

    private const string UntrainedWarning = "This report uses an untrained test model with random weights: its ages, genders, expressions and attributes mean nothing.";

    // Distinct colours for boxes and the matching card badges; they repeat after eight faces.
    private static readonly string[] Palette = ["#e6194b", "#1f8f3a", "#4363d8", "#f58231", "#911eb4", "#0e9aa7", "#c2185b", "#7a6a00"];

    private const string Style = """
        :root { color-scheme: light; --ink: #1d2330; --muted: #5c6577; --line: #d8dde6; --bar: #4363d8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #f3f5f8; }
        header { padding: 14px 20px 10px; background: #fff; border-bottom: 1px solid var(--line); }
        h1 { margin: 0 0 4px; font-size: 22px; }
        header p { margin: 2px 0; color: var(--muted); }
        header b, header code { color: var(--ink); }
        code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
        .banner { position: sticky; top: 0; z-index: 10; margin: 0; padding: 12px 20px; background: #c62828; color: #fff; font-size: 18px; font-weight: 700; border-bottom: 4px solid #7f0000; }
        nav { padding: 8px 20px; display: flex; flex-wrap: wrap; gap: 4px 6px; font-size: 12px; }
        nav a { text-decoration: none; color: var(--ink); background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1px 8px; }
        nav a.failed { border-color: #e57373; color: #b71c1c; }
        main { padding: 4px 20px 24px; }
        section.photo { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; padding: 10px 12px; scroll-margin-top: 64px; }
        section.photo h2 { margin: 0 0 8px; font-size: 15px; overflow-wrap: anywhere; }
        section.photo h2 small { font-weight: 400; color: var(--muted); margin-left: 8px; }
        .photo-body { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
        .frame { position: relative; flex: 0 1 auto; max-width: 100%; line-height: 0; }
        .frame img { display: block; max-width: 100%; max-height: 480px; width: auto; height: auto; border-radius: 4px; }
        .frame svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; }
        .frame svg text { font-family: system-ui, "DejaVu Sans", sans-serif; font-weight: 700; }
        .faces { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; align-content: flex-start; flex: 1 1 262px; min-width: 0; }
        .face-card { width: 262px; background: #fff; border: 1px solid var(--line); border-top: 4px solid var(--c, var(--line)); border-radius: 6px; padding: 8px; scroll-margin-top: 64px; }
        .face-card:target { outline: 3px solid var(--c, #4363d8); }
        .face-card .head { display: flex; gap: 7px; }
        .face-card .head img { width: 112px; height: 112px; flex: none; border-radius: 4px; background: #eee; object-fit: contain; }
        .face-card .head .nocrop { width: 112px; height: 112px; flex: none; border-radius: 4px; background: #eee; }
        .face-card dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 1px 5px; font-size: 11.5px; align-content: start; min-width: 0; }
        .face-card dt { color: var(--muted); }
        .face-card dd { margin: 0; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .badge { display: inline-block; min-width: 22px; padding: 0 6px; border-radius: 10px; background: var(--c, #888); color: #fff; font-weight: 700; text-align: center; }
        .name { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; margin: 0 0 4px; }
        h3 { margin: 8px 0 3px; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        .bar { display: grid; grid-template-columns: 68px 1fr 34px; gap: 6px; align-items: center; font-size: 12px; height: 17px; }
        .bar .track { height: 10px; background: #e8ebf0; border-radius: 5px; overflow: hidden; }
        .bar .fill { display: block; height: 100%; background: #9aa6bf; border-radius: 5px; }
        .bar.top { font-weight: 700; }
        .bar.top .fill { background: var(--bar); }
        .bar .val { text-align: right; font-variant-numeric: tabular-nums; }
        .chips { display: flex; flex-wrap: wrap; gap: 3px; }
        .chip { font-size: 11px; background: #eef1f8; border: 1px solid #d5dbea; border-radius: 9px; padding: 0 6px; white-space: nowrap; }
        .chip b { font-weight: 600; }
        .warn { background: #fff3cd; border-color: #e0b100; color: #6b4f00; font-weight: 600; }
        .muted { color: var(--muted); font-size: 12px; }
        .none { color: var(--muted); font-style: italic; margin: 4px 0; }
        .error-card { max-width: 640px; background: #fdecea; border: 1px solid #e57373; border-radius: 6px; padding: 6px 10px; color: #8a1c1c; font-size: 13px; overflow-wrap: anywhere; }
        .flag { margin: 5px 0 0; font-size: 11px; color: #6b4f00; }
        .grid .error-card { width: 262px; }
        .error-card.damage { margin-bottom: 8px; }
        .grid { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; margin-top: 12px; }
        """;

    /// <summary>Encodes an aligned crop (or an aligned-mode input) as PNG for the report, scaled down when larger than the report shows it.</summary>
    public static byte[] ToCropPng(Image<Rgb24> crop)
    {
        using var stream = new MemoryStream();
        if (Math.Max(crop.Width, crop.Height) > CropMaxSide)
        {
            using Image<Rgb24> small = crop.Clone(x => x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(CropMaxSide, CropMaxSide) }));
            small.SaveAsPng(stream);
        }
        else
        {
            crop.SaveAsPng(stream);
        }

        return stream.ToArray();
    }

    /// <summary>Writes the report to <paramref name="path"/>, re-reading each photo to inline a scaled-down copy.</summary>
    /// <param name="path">The HTML file to write.</param>
    /// <param name="modelName">The model's name, shown in the header.</param>
    /// <param name="modelVersion">The model's version, shown in the header.</param>
    /// <param name="modelSource">Where the model's weights came from; a source starting with <c>random-init</c> gets a warning banner.</param>
    /// <param name="precision">The model's precision and, for int8, its measured fidelity to fp32, shown in the header.</param>
    /// <param name="results">The analysed images, in order.</param>
    /// <param name="alignedMode">The inputs were aligned crops (<c>--aligned</c>): the crop is the face, so there are no photos and no boxes.</param>
    public static void Write(string path, string modelName, string modelVersion, string modelSource, string precision, IReadOnlyList<ImageResult> results, bool alignedMode)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";
        Write(writer, modelName, modelVersion, modelSource, precision, results, alignedMode);
    }

    /// <summary>Writes the report to <paramref name="writer"/>; see the other overload.</summary>
    public static void Write(TextWriter writer, string modelName, string modelVersion, string modelSource, string precision, IReadOnlyList<ImageResult> results, bool alignedMode)
    {
        int faceCount = results.Sum(r => r.Faces.Count);
        int failed = results.Count(r => r.Error is not null);
        string noun = alignedMode ? "aligned input" : "photo";

        writer.WriteLine("<!DOCTYPE html>");
        writer.WriteLine("<html lang=\"en\">");
        writer.WriteLine("<head>");
        writer.WriteLine("<meta charset=\"utf-8\">");
        writer.WriteLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        writer.WriteLine($"<title>SwinFace report: {Enc(Plural(results.Count, noun))}, {Enc(Plural(faceCount, "face"))}</title>");
        writer.WriteLine("<style>");
        writer.WriteLine(Style);
        writer.WriteLine("</style>");
        writer.WriteLine("</head>");
        writer.WriteLine("<body>");

        writer.WriteLine("<header>");
        writer.WriteLine("<h1>SwinFace report</h1>");
        writer.WriteLine($"<p>model <b>{Enc(modelName)}</b> version <b>{Enc(modelVersion)}</b>, precision <b>{Enc(precision)}</b>, source <code>{Enc(modelSource)}</code></p>");
        string summary = $"{Plural(results.Count, noun)}, {Plural(faceCount, "face")}";
        if (failed > 0)
        {
            summary += $", {failed} unreadable";
        }

        writer.WriteLine($"<p>{Enc(summary)}</p>");
        writer.WriteLine("</header>");
        if (modelSource.StartsWith("random-init", StringComparison.Ordinal))
        {
            writer.WriteLine($"<p class=\"banner\" role=\"alert\">&#9888; {Enc(UntrainedWarning)}</p>");
        }

        if (alignedMode)
        {
            WriteAligned(writer, results);
        }
        else
        {
            WritePhotos(writer, results);
        }

        writer.WriteLine("</body>");
        writer.WriteLine("</html>");
    }

    private static void WritePhotos(TextWriter writer, IReadOnlyList<ImageResult> results)
    {
        // A compact index: one link per photo with its face count, so that a long report can be navigated without script.
        if (results.Count > 1)
        {
            writer.WriteLine("<nav>");
            for (int i = 0; i < results.Count; i++)
            {
                ImageResult image = results[i];
                string label = image.Error is not null ? "unreadable" : image.Faces.Count.ToString(CultureInfo.InvariantCulture) + (image.Damage is not null ? ", damaged" : string.Empty);
                writer.WriteLine($"<a href=\"#p{i}\"{(image.Error is not null ? " class=\"failed\"" : string.Empty)}>{Enc(Path.GetFileName(image.File))} ({Enc(label)})</a>");
            }

            writer.WriteLine("</nav>");
        }

        writer.WriteLine("<main>");
        for (int i = 0; i < results.Count; i++)
        {
            ImageResult image = results[i];
            writer.WriteLine($"<section class=\"photo\" id=\"p{i}\">");
            if (image.Error is not null)
            {
                writer.WriteLine($"<h2>{Enc(image.File)}</h2>");
                writer.WriteLine($"<div class=\"error-card\"><b>could not be read:</b> {Enc(image.Error)}</div>");
                writer.WriteLine("</section>");
                continue;
            }

            writer.WriteLine($"<h2>{Enc(image.File)}<small>{image.Width} &times; {image.Height} px, {Enc(Plural(image.Faces.Count, "face"))}</small></h2>");
            if (image.Damage is { } damage)
            {
                writer.WriteLine($"<div class=\"error-card damage\"><b>damaged file:</b> {Enc(damage.Message)}. The faces are those of the part that decoded.</div>");
            }
            writer.WriteLine("<div class=\"photo-body\">");
            WriteFrame(writer, image, i);
            writer.WriteLine("<div class=\"faces\">");
            if (image.Faces.Count == 0)
            {
                writer.WriteLine("<p class=\"none\">no faces found</p>");
            }

            for (int k = 0; k < image.Faces.Count; k++)
            {
                WriteCard(writer, image.Faces[k], i, k, name: null);
            }

            writer.WriteLine("</div>");
            writer.WriteLine("</div>");
            writer.WriteLine("</section>");
        }

        writer.WriteLine("</main>");
    }

    // With --aligned each input is one face, so the crop is the face: one grid of cards, no photos and no boxes.
    private static void WriteAligned(TextWriter writer, IReadOnlyList<ImageResult> results)
    {
        writer.WriteLine("<main>");
        writer.WriteLine("<div class=\"grid\">");
        for (int i = 0; i < results.Count; i++)
        {
            ImageResult image = results[i];
            if (image.Error is not null)
            {
                writer.WriteLine($"<div class=\"error-card\" id=\"p{i}\"><b>{Enc(image.File)}</b> could not be read: {Enc(image.Error)}</div>");
                continue;
            }

            for (int k = 0; k < image.Faces.Count; k++)
            {
                WriteCard(writer, image.Faces[k], i, k, name: $"{image.File} ({image.Width} \u00d7 {image.Height})");
            }
        }

        writer.WriteLine("</div>");
        writer.WriteLine("</main>");
    }

    // The photo, scaled down, with the boxes in an SVG whose viewBox is the photo's own size: the boxes
    // stay in the analysis's pixel coordinates and scale with the image.
    private static void WriteFrame(TextWriter writer, ImageResult image, int photoIndex)
    {
        string? photo = PhotoDataUri(image.File, out string? problem);
        if (photo is null)
        {
            writer.WriteLine($"<div class=\"error-card\">the photo could not be read again for the report: {Enc(problem!)}</div>");
            return;
        }

        float w = image.Width;
        float h = image.Height;
        float font = Math.Max(w, h) / 32f;
        float dot = Math.Max(w, h) / 320f;
        writer.WriteLine("<div class=\"frame\">");
        writer.WriteLine($"<img src=\"{photo}\" width=\"{image.Width}\" height=\"{image.Height}\" alt=\"{Enc(Path.GetFileName(image.File))}\">");
        writer.WriteLine($"<svg viewBox=\"0 0 {image.Width} {image.Height}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"face boxes\">");
        for (int k = 0; k < image.Faces.Count; k++)
        {
            if (image.Faces[k].Detection is not { } d)
            {
                continue;
            }

            string color = Palette[k % Palette.Length];
            RectangleF box = d.Box;
            string label = k.ToString(CultureInfo.InvariantCulture);
            float labelW = font * (0.45f + (0.62f * label.Length));
            float labelH = font * 1.25f;

            // The number sits on the box's top edge, outside when there is room above it.
            float labelY = box.Top - labelH >= 0 ? box.Top - labelH : box.Top;
            writer.WriteLine($"<a href=\"#p{photoIndex}f{k}\">");
            writer.WriteLine(Inv($"<rect x=\"{box.X:0.#}\" y=\"{box.Y:0.#}\" width=\"{box.Width:0.#}\" height=\"{box.Height:0.#}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"3\" vector-effect=\"non-scaling-stroke\"/>"));
            // The points the face was aligned by: eyes, nose tip and both mouth corners, or the mouth centre.
            FaceLandmarks m = d.Landmarks;
            PointF[] points = m is { MouthLeft: { } ml, MouthRight: { } mr } ? [m.LeftEye, m.RightEye, m.Nose, ml, mr] : [m.LeftEye, m.RightEye, m.Nose, m.MouthCenter];
            foreach (PointF p in points)
            {
                writer.WriteLine(Inv($"<circle cx=\"{p.X:0.#}\" cy=\"{p.Y:0.#}\" r=\"{dot:0.##}\" fill=\"{color}\" stroke=\"#fff\" stroke-width=\"1\" vector-effect=\"non-scaling-stroke\"/>"));
            }

            writer.WriteLine(Inv($"<rect x=\"{box.X:0.#}\" y=\"{labelY:0.#}\" width=\"{labelW:0.#}\" height=\"{labelH:0.#}\" fill=\"{color}\"/>"));
            writer.WriteLine(Inv($"<text x=\"{box.X + (labelW / 2):0.#}\" y=\"{labelY + (labelH * 0.8f):0.#}\" font-size=\"{font:0.#}\" fill=\"#fff\" text-anchor=\"middle\">{label}</text>"));
            writer.WriteLine("</a>");
        }

        writer.WriteLine("</svg>");
        writer.WriteLine("</div>");
    }

    // One face: crop, age, gender, detection, all 7 expression scores as bars, and the strongest present attributes.
    // The analyzer runs FaceTasks.All, so every output is present. Each card starts on its own line.
    private static void WriteCard(TextWriter writer, FaceResult result, int photoIndex, int faceIndex, string? name)
    {
        FaceAnalysis face = result.Analysis;
        string color = result.Detection is null ? "#5c6577" : Palette[faceIndex % Palette.Length];
        string title = result.Detection is { } box
            ? Inv($" title=\"box {box.Box.X:F0},{box.Box.Y:F0} {box.Box.Width:F0}x{box.Box.Height:F0}\"")
            : string.Empty;
        writer.WriteLine($"<div class=\"face-card\" data-face=\"{faceIndex}\" id=\"p{photoIndex}f{faceIndex}\" style=\"--c:{color}\"{title}>");
        if (name is not null)
        {
            writer.WriteLine($"<p class=\"name\">{Enc(name)}</p>");
        }

        writer.WriteLine("<div class=\"head\">");
        writer.WriteLine(result.CropPng is { } png
            ? $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" width=\"112\" height=\"112\" alt=\"aligned face {faceIndex}\">"
            : "<div class=\"nocrop\"></div>");
        writer.WriteLine("<dl>");
        if (result.Detection is not null)
        {
            writer.WriteLine($"<dt>face</dt><dd><span class=\"badge\">{faceIndex}</span></dd>");
        }

        writer.WriteLine(Inv($"<dt>age</dt><dd>{face.Age!.Value:F1}</dd>"));
        writer.WriteLine(Inv($"<dt>male</dt><dd>{face.MaleProbability!.Value:F2}</dd>"));
        writer.WriteLine($"<dt>expression</dt><dd>{Enc(face.Expression!.Label.ToString())}</dd>");
        if (result.Detection is { } d)
        {
            writer.WriteLine(Inv($"<dt>detection</dt><dd>{d.Score:F2}</dd>"));
            writer.WriteLine(Inv($"<dt>source</dt><dd>{result.SourceSize!.Value:F0} px</dd>"));
            writer.WriteLine($"<dt>aligned by</dt><dd>{(d.Landmarks.HasMouthCorners ? 5 : 4)} points</dd>");
        }

        writer.WriteLine("</dl>");
        writer.WriteLine("</div>");
        if (result.SourceSize is { } size && size < LowResolution)
        {
            writer.WriteLine(Inv($"<p class=\"flag\"><span class=\"chip warn\">low resolution</span> {size:F0} px source, upsampled to 112</p>"));
        }

        writer.WriteLine("<h3>expression</h3>");
        ExpressionPrediction expression = face.Expression;
        foreach (Expression e in Enum.GetValues<Expression>())
        {
            float p = expression[e];
            string top = e == expression.Label ? " top" : string.Empty;
            writer.WriteLine(Inv($"<div class=\"bar{top}\"><span>{Enc(e.ToString())}</span><span class=\"track\"><span class=\"fill\" style=\"width:{Math.Clamp(p, 0f, 1f) * 100f:0.#}%\"></span></span><span class=\"val\">{p:F2}</span></div>"));
        }

        List<AttributePrediction> present = [.. face.Attributes!.Where(a => a.IsPresent).OrderByDescending(a => a.Probability)];
        writer.WriteLine("<h3>attributes</h3>");
        if (present.Count == 0)
        {
            writer.WriteLine("<p class=\"muted\">none present</p>");
        }
        else
        {
            writer.Write("<div class=\"chips\">");
            foreach (AttributePrediction a in present.Take(TopAttributes))
            {
                writer.Write(Inv($"<span class=\"chip\">{Enc(a.Name)} <b>{a.Probability:F2}</b></span> "));
            }

            if (present.Count > TopAttributes)
            {
                writer.Write($"<span class=\"muted\">+{present.Count - TopAttributes} more</span>");
            }

            writer.WriteLine("</div>");
        }

        writer.WriteLine("</div>");
    }

    /// <summary>Reads a photo again as the analyzer did (transparency on white, EXIF orientation) and returns it as a JPEG data URI at most <see cref="PhotoMaxSide"/> on its longer side.</summary>
    private static string? PhotoDataUri(string path, out string? problem)
    {
        try
        {
            using Image<Rgba32> image = Image.Load<Rgba32>(path);
            bool large = Math.Max(image.Width, image.Height) > PhotoMaxSide;
            image.Mutate(x =>
            {
                x.BackgroundColor(Color.White).AutoOrient();
                if (large)
                {
                    x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(PhotoMaxSide, PhotoMaxSide) });
                }
            });
            using var stream = new MemoryStream();
            image.SaveAsJpeg(stream, new JpegEncoder { Quality = PhotoQuality });
            problem = null;
            return "data:image/jpeg;base64," + Convert.ToBase64String(stream.GetBuffer(), 0, (int)stream.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageFormatException or InvalidMemoryOperationException or NotSupportedException)
        {
            problem = e.Message;
            return null;
        }
    }

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? string.Empty : "s")}";

    private static string Enc(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
