using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;

namespace SwinFace.Tests.Imaging;

/// <summary>The area-averaging shrink that feeds the detectors: values, layout, regions.</summary>
public sealed class AreaResizeTests
{
    [Fact]
    public void ShrinkToPlanarBgr_AveragesEachAreaIntoBlueGreenRedPlanes()
    {
        // 3 x 1 pixels to 2 x 1: each output pixel covers 1.5 source pixels, the middle one half each.
        using var image = new Image<Rgb24>(3, 1);
        image[0, 0] = new Rgb24(30, 0, 3);
        image[1, 0] = new Rgb24(60, 90, 6);
        image[2, 0] = new Rgb24(0, 30, 9);
        float[] planes = new float[3 * 4 * 2];
        Array.Fill(planes, -1f);

        AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), 2, 1, planes, 4, 2);

        // Blue plane, then green, then red; rows of 4, planes of 4 x 2; the rest untouched.
        Assert.Equal([4f, 8f, -1f, -1f], planes[0..4].Select(v => MathF.Round(v, 4)));
        Assert.Equal([30f, 50f], planes[8..10].Select(v => MathF.Round(v, 4)));
        Assert.Equal([40f, 20f], planes[16..18].Select(v => MathF.Round(v, 4)));
        Assert.All(planes[4..8], v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void ShrinkToPlanarBgr_ReadsOnlyTheRegionAndCopiesItAtFullSize()
    {
        using Image<Rgb24> image = Noise(9, 7, 1);
        var region = new Rectangle(2, 3, 4, 2);
        float[] planes = new float[3 * 4 * 2];

        AreaResize.ShrinkToPlanarBgr(image, region, 4, 2, planes, 4, 2);

        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                Rgb24 p = image[2 + x, 3 + y];
                Assert.Equal((p.B, p.G, p.R), (planes[(y * 4) + x], planes[8 + (y * 4) + x], planes[16 + (y * 4) + x]));
            }
        }
    }

    [Theory]
    [InlineData(37, 29, 11, 13)]
    [InlineData(300, 200, 299, 101)]
    [InlineData(64, 64, 16, 16)]
    public void ShrinkToPlanarBgr_EqualsTheAreaIntegral(int w, int h, int ow, int oh)
    {
        // Each output pixel against its definition: the integral of the source over the area it covers, over that area.
        using Image<Rgb24> image = Noise(w, h, 2);
        float[] planes = new float[3 * ow * oh];
        AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), ow, oh, planes, ow, oh);
        double rx = (double)w / ow, ry = (double)h / oh;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                double r = 0, g = 0, b = 0;
                for (int sy = (int)(y * ry); sy < Math.Min(h, Math.Ceiling((y + 1) * ry)); sy++)
                {
                    double cy = Math.Min((y + 1) * ry, sy + 1) - Math.Max(y * ry, sy);
                    for (int sx = (int)(x * rx); sx < Math.Min(w, Math.Ceiling((x + 1) * rx)); sx++)
                    {
                        double c = cy * (Math.Min((x + 1) * rx, sx + 1) - Math.Max(x * rx, sx));
                        Rgb24 p = image[sx, sy];
                        (r, g, b) = (r + (c * p.R), g + (c * p.G), b + (c * p.B));
                    }
                }

                double area = rx * ry;
                int i = (y * ow) + x;
                Assert.Equal(b / area, planes[i], 1e-3);
                Assert.Equal(g / area, planes[(ow * oh) + i], 1e-3);
                Assert.Equal(r / area, planes[(2 * ow * oh) + i], 1e-3);
            }
        }
    }

    [Fact]
    public void ShrinkPlane_GivesWhatShrinkingThePhotoGivesAndKeepsThePadding()
    {
        // A photo shrunk in one step, and its full-size planes (in rows of 48, padded) shrunk plane by plane: the same
        // values, since both average the same areas.
        using Image<Rgb24> image = Noise(45, 30, 3);
        float[] whole = new float[3 * 48 * 32];
        AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), 45, 30, whole, 48, 32);
        float[] once = new float[3 * 17 * 11];
        AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), 17, 11, once, 17, 11);
        float[] plane = new float[20 * 11];
        Array.Fill(plane, -1f);

        AreaResize.ShrinkPlane(whole.AsSpan(48 * 32, 48 * 32), 45, 30, 48, plane, 17, 11, 20);

        for (int y = 0; y < 11; y++)
        {
            for (int x = 0; x < 17; x++)
            {
                Assert.Equal(once[(17 * 11) + (y * 17) + x], plane[(y * 20) + x], 1e-3);
            }

            Assert.Equal([-1f, -1f, -1f], plane[((y * 20) + 17)..((y * 20) + 20)]);
        }

        Assert.Throws<ArgumentException>(() => AreaResize.ShrinkPlane(whole, 45, 30, 48, plane, 46, 11, 20));
        Assert.Throws<ArgumentException>(() => AreaResize.ShrinkPlane(whole, 45, 30, 48, plane, 17, 12, 20));
    }

    [Fact]
    public void ShrinkToPlanarBgr_RefusesToEnlargeOrToReadOutsideTheImage()
    {
        using var image = new Image<Rgb24>(10, 10);
        float[] planes = new float[3 * 32 * 32];
        Assert.Throws<ArgumentException>(() => AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), 11, 10, planes, 32, 32));
        Assert.Throws<ArgumentException>(() => AreaResize.ShrinkToPlanarBgr(image, new Rectangle(5, 5, 6, 5), 5, 5, planes, 32, 32));
        Assert.Throws<ArgumentException>(() => AreaResize.ShrinkToPlanarBgr(image, image.Bounds(), 10, 10, new float[10], 32, 32));
    }

    private static Image<Rgb24> Noise(int w, int h, int seed)
    {
        var random = new Random(seed);
        byte[] bytes = new byte[w * h * 3];
        random.NextBytes(bytes);
        return Image.LoadPixelData<Rgb24>(bytes, w, h);
    }
}
