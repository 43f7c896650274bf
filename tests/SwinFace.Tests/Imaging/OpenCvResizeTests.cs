using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;

namespace SwinFace.Tests.Imaging;

public sealed class OpenCvResizeTests
{
    public static TheoryData<string> ResizedFaces()
    {
        var data = new TheoryData<string>();
        foreach (GoldenFace f in GoldenSet.Load("tiny", TestData.TinyModel, TestData.TinyGolden).Faces.Where(f => f.Resized is not null))
        {
            data.Add(f.Image);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ResizedFaces))]
    public void Resize_MatchesCv2ResizePixelForPixel(string image)
    {
        GoldenSet set = GoldenSet.Load("tiny", TestData.TinyModel, TestData.TinyGolden);
        GoldenFace face = set.Faces.Single(f => f.Image == image);
        using Image<Rgb24> source = Image.Load<Rgb24>(set.PathOf(face.Image));
        using Image<Rgb24> expected = Image.Load<Rgb24>(set.PathOf(face.Resized!));
        byte[] want = new byte[FacePixels.Bytes];
        expected.CopyPixelDataTo(want);

        byte[] got = new byte[FacePixels.Bytes];
        FacePixels.Copy(source, got);

        Assert.Equal(want, got);
    }

    [Fact]
    public void ImageFile_DecodesJpegPixelForPixelLikeCv2Imread()
    {
        // JPEG decoders differ (ImageSharp's pixels are off by about 3.5 levels on average here), and
        // the authors' code reads with cv2.imread, which is libjpeg-turbo: test.sh installs libturbojpeg0.
        Assert.True(ImageFile.DecodesJpegLikeOpenCv, "libjpeg-turbo's TurboJPEG library (libturbojpeg0) is not installed");
        GoldenSet set = GoldenSet.Load("tiny", TestData.TinyModel, TestData.TinyGolden);
        GoldenFace face = set.Faces.Single(f => f.Decoded is not null);
        using Image<Rgb24> decoded = ImageFile.Load(set.PathOf(face.Image));
        using Image<Rgb24> expected = Image.Load<Rgb24>(set.PathOf(face.Decoded!));
        byte[] want = new byte[FacePixels.Bytes], got = new byte[FacePixels.Bytes];
        expected.CopyPixelDataTo(want);
        decoded.CopyPixelDataTo(got);
        Assert.Equal(want, got);
    }

    [Fact]
    public void Resize_SameSizeIsACopy()
    {
        byte[] src = Enumerable.Range(0, 4 * 3 * 3).Select(i => (byte)i).ToArray();
        byte[] dst = new byte[src.Length];
        OpenCvResize.Resize(src, 4, 3, dst, 4, 3, 3);
        Assert.Equal(src, dst);
    }

    [Fact]
    public void Resize_ExactHalfIsTheRoundedBoxAverage()
    {
        // One channel, 2 x 2 -> 1 x 1: (1 + 2 + 3 + 4 + 2) >> 2 = 3 (OpenCV rounds half up here).
        byte[] dst = new byte[1];
        OpenCvResize.Resize([1, 2, 3, 4], 2, 2, dst, 1, 1, 1);
        Assert.Equal(3, dst[0]);
    }

    [Fact]
    public void Resize_UniformImageStaysUniform()
    {
        byte[] src = Enumerable.Repeat((byte)200, 37 * 23 * 3).ToArray();
        byte[] dst = new byte[112 * 112 * 3];
        OpenCvResize.Resize(src, 37, 23, dst, 112, 112, 3);
        Assert.All(dst, v => Assert.Equal(200, v));
    }

    [Fact]
    public void Resize_ThrowsForShortBuffers()
    {
        Assert.Throws<ArgumentException>(() => OpenCvResize.Resize(new byte[10], 4, 4, new byte[12], 2, 2, 3));
        Assert.Throws<ArgumentException>(() => OpenCvResize.Resize(new byte[48], 4, 4, new byte[11], 2, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenCvResize.Resize(new byte[48], 0, 4, new byte[12], 2, 2, 3));
    }

    [Fact]
    public void NormalizationTables_ReproduceTheAuthorsFloat32Arithmetic()
    {
        float[][] tables = FacePixels.NormalizationTables([127.5f, 127.5f, 127.5f], [127.5f, 127.5f, 127.5f]);
        for (int v = 0; v < 256; v++)
        {
            float torch = ((v / 255f) - 0.5f) / 0.5f;
            Assert.Equal(torch, tables[0][v]);
        }

        Assert.Equal(-1f, tables[1][0]);
        Assert.Equal(1f, tables[2][255]);
    }

    [Fact]
    public void ToPlanar_WritesChannelsAsPlanes()
    {
        byte[] rgb = new byte[FacePixels.Bytes];
        rgb[0] = 255;
        rgb[4] = 255; // green of pixel 1
        float[][] tables = FacePixels.NormalizationTables([127.5f, 127.5f, 127.5f], [127.5f, 127.5f, 127.5f]);
        float[] chw = new float[3 * 112 * 112];
        FacePixels.ToPlanar(rgb, tables, chw);
        const int plane = 112 * 112;
        Assert.Equal(1f, chw[0]);
        Assert.Equal(-1f, chw[plane]);
        Assert.Equal(1f, chw[plane + 1]);
        Assert.Equal(-1f, chw[(2 * plane) + 1]);
    }
}
