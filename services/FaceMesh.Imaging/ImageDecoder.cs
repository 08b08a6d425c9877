using SkiaSharp;

namespace FaceMesh.Imaging;

/// <summary>
/// Turns encoded bytes (JPEG, PNG, WebP, BMP, GIF first frame) into an upright <see cref="RgbImage"/>.
/// Byte and pixel limits are checked on the encoded size and the header before anything is decoded;
/// EXIF orientation is applied; grey, 16-bit, CMYK and palette images come out as 8-bit RGB;
/// transparent pixels are composited over white.
/// </summary>
public static class ImageDecoder
{
    public const string SupportedFormats = "JPEG, PNG, WebP, BMP or GIF";

    public static RgbImage Decode(byte[] bytes, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        if (bytes.Length == 0)
            throw new InvalidImageException($"The image is empty (0 bytes). Send the bytes of a {SupportedFormats} file.");
        if (bytes.Length > limits.MaxBytes)
            throw new InvalidImageException(
                $"The image is {bytes.Length:N0} bytes; the limit is {limits.MaxBytes:N0} bytes. Send a smaller or more compressed file.");

        // The codec owns the stream it reads from and disposes it.
        using var codec = SKCodec.Create(new SKMemoryStream(bytes), out var createResult)
            ?? throw new InvalidImageException(
                $"The bytes are not an image FaceMesh can read ({Describe(createResult)}). Send a {SupportedFormats} file.");

        var header = codec.Info;
        long pixels = (long)header.Width * header.Height;
        if (pixels > limits.MaxPixels)
            throw new InvalidImageException(
                $"The image declares {header.Width}x{header.Height} pixels ({pixels:N0}); the limit is {limits.MaxPixels:N0} pixels. " +
                "It was refused before decoding; send a smaller image.");
        if (header.Width < limits.MinSide || header.Height < limits.MinSide)
            throw new InvalidImageException(
                $"The image is {header.Width}x{header.Height} pixels; FaceMesh needs at least {limits.MinSide} pixels on each side to find a face.");

        var rgba = new SKImageInfo(header.Width, header.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(rgba);
        var result = codec.GetPixels(rgba, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidImageException(result == SKCodecResult.IncompleteInput
                ? $"The {codec.EncodedFormat} data is truncated: the file ends before the picture does. Send the complete file."
                : $"The {codec.EncodedFormat} data could not be decoded ({Describe(result)}). Send a valid {SupportedFormats} file.");

        var upright = ToRgb(bitmap.GetPixelSpan(), header.Width, header.Height);
        return Orientation.Apply(upright, codec.EncodedOrigin);
    }

    /// <summary>RGBA (unpremultiplied) to RGB, compositing transparent pixels over white.</summary>
    private static RgbImage ToRgb(ReadOnlySpan<byte> rgba, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < rgba.Length; i += 4, j += 3)
        {
            int a = rgba[i + 3];
            if (a == 255)
            {
                rgb[j] = rgba[i];
                rgb[j + 1] = rgba[i + 1];
                rgb[j + 2] = rgba[i + 2];
            }
            else
            {
                int white = (255 - a) * 255;
                rgb[j] = (byte)((rgba[i] * a + white + 127) / 255);
                rgb[j + 1] = (byte)((rgba[i + 1] * a + white + 127) / 255);
                rgb[j + 2] = (byte)((rgba[i + 2] * a + white + 127) / 255);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.Unimplemented => "the format or a feature of it is not supported",
        SKCodecResult.IncompleteInput => "the data is truncated",
        SKCodecResult.InvalidInput => "the data is corrupt",
        SKCodecResult.ErrorInInput => "the data contains errors",
        SKCodecResult.InvalidConversion => "the pixel format cannot be converted",
        _ => $"codec result {result}",
    };
}
