using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Alignment;
using SwinFace.Detection;
using SwinFace.Tests.Detection;

namespace SwinFace.Tests.Alignment;

/// <summary>
/// The default alignment path: five points (eyes, nose tip, mouth corners) fitted to the ArcFace template, on
/// synthetic faces and on the faces YuNet finds in <c>obama_family.jpg</c>.
/// </summary>
public sealed class FivePointAlignmentTests(YuNetFixture fixture) : IClassFixture<YuNetFixture>
{
    private static readonly PointF[] Template = [.. FaceAligner.ArcFaceTemplate];

    [Fact]
    public void EstimateTransform_FitsAllFivePointsNotTheirMouthCentre()
    {
        // A face whose smile is lopsided: the mouth corners turned 15 degrees about their centre. The five-point fit
        // must differ from the fit of the same face's four points (mouth centre), and must be the least-squares
        // optimum over the five: no small change of it brings the points closer to the template.
        Matrix3x2 toImage = Similarity(12f, 2.2f, 140f, 60f);
        PointF[] p = [.. Template.Select(t => Map(t, toImage))];
        var centre = new PointF((p[3].X + p[4].X) / 2, (p[3].Y + p[4].Y) / 2);
        Matrix3x2 turn = Matrix3x2.CreateRotation(15f * MathF.PI / 180f, new Vector2(centre.X, centre.Y));
        var five = FaceLandmarks.FromFivePoints(p[0], p[1], p[2], Map(p[3], turn), Map(p[4], turn));
        var four = FaceLandmarks.FromMouthCenter(p[0], p[1], p[2], five.MouthCenter);

        Matrix3x2 m5 = FaceAligner.EstimateTransform(five), m4 = FaceAligner.EstimateTransform(four);

        PointF[] points = [five.LeftEye, five.RightEye, five.Nose, five.MouthLeft!.Value, five.MouthRight!.Value];
        double best = Residual(points, m5);
        Assert.True(Residual(points, m4) > best + 1e-3, "the four-point fit must not be the five-point fit");
        foreach (Matrix3x2 nudge in Nudges(m5))
        {
            Assert.True(Residual(points, nudge) >= best, "a nudged transform fits the five points better: not the optimum");
        }
    }

    [Fact]
    public void EstimateTransform_RecoversASimilarityFromNoisyFivePoints()
    {
        // Template points seen through a known similarity (a 4x larger face), each moved by up to 1 image pixel
        // (seeded): the crop's points land within 0.5 px of the template, and the scale within 2%.
        var random = new Random(14);
        Matrix3x2 known = Similarity(-25f, 0.25f, 10f, -30f);
        Matrix3x2.Invert(known, out Matrix3x2 toImage);
        for (int trial = 0; trial < 20; trial++)
        {
            PointF[] p = [.. Template.Select(t => Map(t, toImage)).Select(q => new PointF(q.X + (float)((random.NextDouble() * 2) - 1), q.Y + (float)((random.NextDouble() * 2) - 1)))];
            Matrix3x2 fitted = FaceAligner.EstimateTransform(FaceLandmarks.FromFivePoints(p[0], p[1], p[2], p[3], p[4]));
            for (int k = 0; k < 5; k++)
            {
                Assert.True(Distance(Map(p[k], fitted), Template[k]) < 0.5f, $"trial {trial}, point {k}");
            }

            float scale = MathF.Sqrt((fitted.M11 * fitted.M11) + (fitted.M12 * fitted.M12));
            Assert.InRange(scale, 0.245f, 0.255f);
        }
    }

    [Fact]
    public void Align_PutsTheFivePointsOfEveryObamaFamilyFaceOnTheTemplate()
    {
        // YuNet's points for the four faces of the 2011 portrait, mapped into the aligned 112 px crop. The template is
        // a neutral face and all four smile widely, one with her head tilted, so the mouth corners land outside it.
        // Measured: eyes at most 2.15 px from their template points, mouth corners 4.38 px, 2.31 px root mean square.
        // Limits: eyes 3 px, mouth corners 5 px, root mean square 2.75 px.
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestData.Labelled("public-domain", "obama_family.jpg"));
        IReadOnlyList<FaceDetection> faces = fixture.Detector.Detect(photo);
        Assert.Equal(4, faces.Count);
        double squares = 0;
        foreach (FaceDetection face in faces)
        {
            FaceLandmarks m = face.Landmarks;
            Assert.True(m.HasMouthCorners);
            Matrix3x2 t = FaceAligner.EstimateTransform(m);
            PointF[] points = [m.LeftEye, m.RightEye, m.Nose, m.MouthLeft!.Value, m.MouthRight!.Value];
            foreach (int k in (int[])[0, 1, 3, 4])
            {
                float d = Distance(Map(points[k], t), Template[k]);
                Assert.True(d <= (k < 2 ? 3f : 5f), $"face at {face.Box.Location}: point {k} lands {d:F2} px from the template");
                squares += d * d;
            }
        }

        double rms = Math.Sqrt(squares / 16);
        Assert.True(rms <= 2.75, $"root mean square {rms:F2} px");
    }

    private static IEnumerable<Matrix3x2> Nudges(Matrix3x2 m)
    {
        const float d = 1e-3f;
        foreach ((float da, float db, float dx, float dy) in new[] { (d, 0f, 0f, 0f), (-d, 0f, 0f, 0f), (0f, d, 0f, 0f), (0f, -d, 0f, 0f), (0f, 0f, 0.05f, 0f), (0f, 0f, -0.05f, 0f), (0f, 0f, 0f, 0.05f), (0f, 0f, 0f, -0.05f) })
        {
            yield return new Matrix3x2(m.M11 + da, m.M12 + db, m.M21 - db, m.M22 + da, m.M31 + dx, m.M32 + dy);
        }
    }

    private static double Residual(PointF[] points, Matrix3x2 m)
    {
        double sum = 0;
        for (int k = 0; k < points.Length; k++)
        {
            PointF q = Map(points[k], m);
            sum += ((q.X - Template[k].X) * (double)(q.X - Template[k].X)) + ((q.Y - Template[k].Y) * (double)(q.Y - Template[k].Y));
        }

        return sum;
    }

    private static Matrix3x2 Similarity(float degrees, float scale, float tx, float ty) =>
        Matrix3x2.CreateRotation(degrees * MathF.PI / 180f) * Matrix3x2.CreateScale(scale) * Matrix3x2.CreateTranslation(tx, ty);

    private static PointF Map(PointF p, Matrix3x2 m)
    {
        Vector2 v = Vector2.Transform(new Vector2(p.X, p.Y), m);
        return new PointF(v.X, v.Y);
    }

    private static float Distance(PointF a, PointF b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
