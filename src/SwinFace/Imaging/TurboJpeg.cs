using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SwinFace.Imaging;

/// <summary>
/// JPEG decoding through libjpeg-turbo's TurboJPEG library, when it is installed: the decoder behind
/// OpenCV's <c>cv2.imread</c> on Linux, so JPEG pixels come out exactly as the SwinFace authors' code sees them.
/// </summary>
/// <remarks>
/// JPEG decoders differ in their inverse DCT and chroma upsampling: ImageSharp's pixels differ from
/// libjpeg-turbo's by about 3.5 levels on average for a typical 4:2:0 face crop, enough to move the
/// model's outputs by more than 1e-3. TurboJPEG's defaults (accurate integer DCT, smooth upsampling) are
/// libjpeg's defaults, which OpenCV uses.
/// </remarks>
internal static class TurboJpeg
{
    private const int PixelFormatRgb = 0;
    private const int ColorspaceCmyk = 3;
    private const int ColorspaceYcck = 4;

    private static readonly Lazy<Api?> Library = new(Api.Load);

    private delegate IntPtr InitDecompress();

    private delegate int DecompressHeader3(IntPtr handle, ref byte jpeg, CULong size, out int width, out int height, out int subsampling, out int colorspace);

    private delegate int Decompress2(IntPtr handle, ref byte jpeg, CULong size, ref byte destination, int width, int pitch, int height, int pixelFormat, int flags);

    private delegate int Destroy(IntPtr handle);

    private delegate int GetErrorCode(IntPtr handle);

    private delegate IntPtr GetErrorStr2(IntPtr handle);

    /// <summary>Gets a value indicating whether TurboJPEG could be loaded.</summary>
    public static bool IsAvailable => Library.Value is not null;

    /// <summary>
    /// Decodes a JPEG to RGB, or returns <see langword="null"/> when TurboJPEG is missing, the data is no JPEG,
    /// it is CMYK, or libjpeg-turbo fails on it. A non-fatal problem (data cut short, bytes skipped) gives the
    /// image with libjpeg-turbo's warning, as OpenCV gives it with the warning printed.
    /// </summary>
    public static (Image<Rgb24> Image, string? Warning)? TryDecode(ReadOnlySpan<byte> data, long maxPixels)
    {
        if (data.Length < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF || Library.Value is not { } api)
        {
            return null;
        }

        IntPtr handle = api.Init();
        if (handle == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            ref byte jpeg = ref MemoryMarshal.GetReference(data);
            var size = new CULong((nuint)data.Length);
            if (api.Header(handle, ref jpeg, size, out int width, out int height, out _, out int colorspace) != 0
                || colorspace is ColorspaceCmyk or ColorspaceYcck
                || width <= 0 || height <= 0 || (long)width * height > maxPixels)
            {
                // ImageSharp then decodes it, and reports what is wrong with it.
                return null;
            }

            byte[] rgb = new byte[checked(width * height * 3)];
            string? warning = null;
            if (api.Decompress(handle, ref jpeg, size, ref rgb[0], width, width * 3, height, PixelFormatRgb, 0) != 0)
            {
                // TJERR_WARNING (0): the image is complete, its missing or skipped data filled in.
                if (api.ErrorCode is null || api.ErrorCode(handle) != 0)
                {
                    return null;
                }

                warning = api.ErrorText is null ? "a warning" : Marshal.PtrToStringUTF8(api.ErrorText(handle)) ?? "a warning";
            }

            return (Image.LoadPixelData<Rgb24>(rgb, width, height), warning);
        }
        finally
        {
            api.Free(handle);
        }
    }

    private sealed record Api(InitDecompress Init, DecompressHeader3 Header, Decompress2 Decompress, Destroy Free, GetErrorCode? ErrorCode, GetErrorStr2? ErrorText)
    {
        private static readonly string[] Names = ["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "turbojpeg"];

        public static Api? Load()
        {
            foreach (string name in Names)
            {
                if (NativeLibrary.TryLoad(name, out IntPtr lib))
                {
                    return new Api(
                        Get<InitDecompress>(lib, "tjInitDecompress"),
                        Get<DecompressHeader3>(lib, "tjDecompressHeader3"),
                        Get<Decompress2>(lib, "tjDecompress2"),
                        Get<Destroy>(lib, "tjDestroy"),
                        Find<GetErrorCode>(lib, "tjGetErrorCode"),
                        Find<GetErrorStr2>(lib, "tjGetErrorStr2"));
                }
            }

            return null;
        }

        private static T Get<T>(IntPtr lib, string name)
            where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));

        /// <summary>An export that TurboJPEG 1.x lacks (the error functions came with 2.0).</summary>
        private static T? Find<T>(IntPtr lib, string name)
            where T : Delegate => NativeLibrary.TryGetExport(lib, name, out IntPtr f) ? Marshal.GetDelegateForFunctionPointer<T>(f) : null;
    }
}
