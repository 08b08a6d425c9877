using SkiaSharp;

namespace FaceMesh.Imaging;

/// <summary>
/// Turns encoded bytes (JPEG, PNG, WebP, BMP, GIF first frame) into an upright <see cref="RgbImage"/>.
/// Byte and pixel limits are checked on the encoded size and the header before anything is decoded;
/// EXIF orientation is applied; grey, 16-bit, CMYK and palette images come out as 8-bit RGB;
/// transparent pixels are composited over white.
/// <para>
/// Two steps, so a caller can bound the memory of decodes in flight (<see cref="DecodeBudget"/>): <see cref="Open"/>
/// reads the header and says what decoding will cost (<see cref="PendingDecode.PeakBytes"/>), <see cref="PendingDecode.Decode"/>
/// decodes. A photo larger than <see cref="ImageLimits.MaxDecodePixels"/> is decoded at a reduced scale by the codec itself
/// (JPEG's DCT scaling, WebP's scaler), never in full. Rows are decoded in strips and converted straight into the one RGB
/// buffer, already upright: 3 bytes a pixel plus a strip, not an RGBA copy, an RGB copy and a rotated copy.
/// </para>
/// </summary>
public static class ImageDecoder
{
    public const string SupportedFormats = "JPEG, PNG, WebP, BMP or GIF";

    public static RgbImage Decode(byte[] bytes, ImageLimits? limits = null)
    {
        using var pending = Open(bytes, limits);
        return pending.Decode();
    }

    /// <summary>Checks the bytes and the header against <paramref name="limits"/>; nothing is decoded yet.</summary>
    public static PendingDecode Open(byte[] bytes, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        if (bytes.Length == 0)
            throw new InvalidImageException($"The image is empty (0 bytes). Send the bytes of a {SupportedFormats} file.");
        if (bytes.Length > limits.MaxBytes)
            throw new InvalidImageException(
                $"The image is {bytes.Length:N0} bytes; the limit is {limits.MaxBytes:N0} bytes. Send a smaller or more compressed file.");

        // The codec owns the stream it reads from and disposes it.
        var codec = SKCodec.Create(new SKMemoryStream(bytes), out var createResult)
            ?? throw new InvalidImageException(
                $"The bytes are not an image FaceMesh can read ({Describe(createResult)}). Send a {SupportedFormats} file.");
        try
        {
            var header = codec.Info;
            long pixels = (long)header.Width * header.Height;
            if (pixels > limits.MaxPixels)
                throw new InvalidImageException(
                    $"The image declares {header.Width}x{header.Height} pixels ({pixels:N0}); the limit is {limits.MaxPixels:N0} pixels. " +
                    "It was refused before decoding; send a smaller image.");
            if (header.Width < limits.MinSide || header.Height < limits.MinSide)
                throw new InvalidImageException(
                    $"The image is {header.Width}x{header.Height} pixels; FaceMesh needs at least {limits.MinSide} pixels on each side to find a face.");
            return new PendingDecode(codec, ScaledSize(codec, limits.MaxDecodePixels));
        }
        catch
        {
            codec.Dispose();
            throw;
        }
    }

    /// <summary>The largest size the codec can decode to with at most <paramref name="maxPixels"/> pixels (the full size if it
    /// fits).</summary>
    private static SKSizeI ScaledSize(SKCodec codec, long maxPixels)
    {
        var full = codec.Info.Size;
        if ((long)full.Width * full.Height <= maxPixels)
            return full;
        float scale = MathF.Sqrt((float)maxPixels / ((long)full.Width * full.Height));
        // The codec rounds a requested scale to one it supports (JPEG: n/8); step down until the result fits.
        for (; scale > 0.01f; scale *= 0.97f)
        {
            var size = codec.GetScaledDimensions(scale);
            if ((long)size.Width * size.Height <= maxPixels)
                return size.Width < 1 || size.Height < 1 ? full : size;
        }
        return full; // the codec cannot scale (PNG, GIF, BMP): decoded in full, within ImageLimits.MaxPixels
    }

    internal static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.Unimplemented => "the format or a feature of it is not supported",
        SKCodecResult.IncompleteInput => "the data is truncated",
        SKCodecResult.InvalidInput => "the data is corrupt",
        SKCodecResult.ErrorInInput => "the data contains errors",
        SKCodecResult.InvalidConversion => "the pixel format cannot be converted",
        _ => $"codec result {result}",
    };
}

/// <summary>An image whose header passed the limits, ready to decode (<see cref="ImageDecoder.Open"/>).</summary>
public sealed class PendingDecode : IDisposable
{
    private const int StripRows = 32;
    private readonly SKCodec _codec;
    private readonly SKSizeI _size;

    internal PendingDecode(SKCodec codec, SKSizeI size)
    {
        _codec = codec;
        _size = size;
        bool swaps = codec.EncodedOrigin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        (Width, Height) = swaps ? (size.Height, size.Width) : (size.Width, size.Height);
        var full = codec.Info.Size;
        (OriginalWidth, OriginalHeight) = swaps ? (full.Height, full.Width) : (full.Width, full.Height);
        _info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // Row by row where Skia can (JPEG, non-interlaced PNG, top-down); the rest is decoded as a whole frame.
        _rowByRow = codec.EncodedFormat is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png
                    && codec.StartScanlineDecode(_info) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown;
    }

    private readonly SKImageInfo _info;
    private readonly bool _rowByRow;

    public SKEncodedImageFormat Format => _codec.EncodedFormat;

    /// <summary>The upright size of the decoded image (smaller than the original when it is decoded at a reduced scale).</summary>
    public int Width { get; }

    public int Height { get; }

    /// <summary>The upright size the photo declares.</summary>
    public int OriginalWidth { get; }

    public int OriginalHeight { get; }

    /// <summary>Decoded size over original size (1 when decoded in full).</summary>
    public float Scale => (float)Width / OriginalWidth;

    /// <summary>
    /// The most memory the decode holds at once: the RGB image, plus a strip of RGBA rows, or (for the formats Skia cannot
    /// decode row by row: interlaced PNG, GIF, WebP, bottom-up BMP) a whole RGBA frame.
    /// </summary>
    public long PeakBytes => 3L * Width * Height + (_rowByRow ? 4L * _size.Width * StripRows : 4L * _size.Width * _size.Height);

    /// <summary>Decodes the image (once).</summary>
    public RgbImage Decode()
    {
        var info = _info;
        var target = new RgbImage(Width, Height);
        if (_rowByRow)
        {
            var strip = GC.AllocateUninitializedArray<byte>(info.RowBytes * StripRows);
            for (int y = 0; y < _size.Height; y += StripRows)
            {
                int rows = Math.Min(StripRows, _size.Height - y);
                int decoded;
                unsafe
                {
                    fixed (byte* p = strip)
                        decoded = _codec.GetScanlines((IntPtr)p, rows, info.RowBytes);
                }
                if (decoded < rows)
                    throw Truncated();
                Convert(strip.AsSpan(0, rows * info.RowBytes), y, rows, target);
            }
            return target;
        }

        // The whole RGBA frame, outside the managed heap: freed the moment it is converted, so a large photo leaves no
        // garbage of 4 bytes a pixel behind for the GC to find later.
        long frameBytes = info.BytesSize64;
        unsafe
        {
            byte* frame = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)frameBytes);
            try
            {
                var result = _codec.GetPixels(info, (IntPtr)frame);
                if (result != SKCodecResult.Success)
                    throw result == SKCodecResult.IncompleteInput ? Truncated()
                        : new InvalidImageException($"The {_codec.EncodedFormat} data could not be decoded ({ImageDecoder.Describe(result)}). Send a valid {ImageDecoder.SupportedFormats} file.");
                // Row by row: a span is limited to 2 GB, a 40-megapixel frame is 160 MB, but stay general.
                for (int y = 0; y < _size.Height; y += StripRows)
                {
                    int rows = Math.Min(StripRows, _size.Height - y);
                    Convert(new ReadOnlySpan<byte>(frame + (long)y * info.RowBytes, rows * info.RowBytes), y, rows, target);
                }
            }
            finally
            {
                System.Runtime.InteropServices.NativeMemory.Free(frame);
            }
        }
        return target;
    }

    private InvalidImageException Truncated() =>
        new($"The {_codec.EncodedFormat} data is truncated: the file ends before the picture does. Send the complete file.");

    /// <summary>
    /// Stored RGBA rows <paramref name="y0"/>… (unpremultiplied) into the upright RGB image, compositing transparent pixels
    /// over white and applying the EXIF orientation on the way: stored pixel (x, y) lands on upright pixel (u, v).
    /// </summary>
    private void Convert(ReadOnlySpan<byte> rgba, int y0, int rows, RgbImage target)
    {
        int w = _size.Width, h = _size.Height, tw = target.Width;
        var dst = target.Pixels;
        for (int r = 0; r < rows; r++)
        {
            int y = y0 + r;
            // Upright position of the row's first pixel, and the step in the target as x grows by one.
            var (u, v, step) = _codec.EncodedOrigin switch
            {
                SKEncodedOrigin.TopRight => (w - 1, y, -1),         // 2: mirrored
                SKEncodedOrigin.BottomRight => (w - 1, h - 1 - y, -1), // 3: rotated 180°
                SKEncodedOrigin.BottomLeft => (0, h - 1 - y, 1),    // 4: mirrored vertically
                SKEncodedOrigin.LeftTop => (y, 0, tw),              // 5: transposed
                SKEncodedOrigin.RightTop => (h - 1 - y, 0, tw),     // 6: needs 90° clockwise
                SKEncodedOrigin.RightBottom => (h - 1 - y, w - 1, -tw), // 7: transversed
                SKEncodedOrigin.LeftBottom => (y, w - 1, -tw),      // 8: needs 90° anticlockwise
                _ => (0, y, 1),
            };
            int j = (v * tw + u) * 3, stride = step * 3;
            var row = rgba.Slice(r * w * 4, w * 4);
            for (int i = 0; i < row.Length; i += 4, j += stride)
            {
                int a = row[i + 3];
                if (a == 255)
                {
                    dst[j] = row[i];
                    dst[j + 1] = row[i + 1];
                    dst[j + 2] = row[i + 2];
                }
                else
                {
                    int white = (255 - a) * 255;
                    dst[j] = (byte)((row[i] * a + white + 127) / 255);
                    dst[j + 1] = (byte)((row[i + 1] * a + white + 127) / 255);
                    dst[j + 2] = (byte)((row[i + 2] * a + white + 127) / 255);
                }
            }
        }
    }

    public void Dispose() => _codec.Dispose();
}
