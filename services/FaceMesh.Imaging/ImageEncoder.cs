using SkiaSharp;

namespace FaceMesh.Imaging;

/// <summary>Writes an <see cref="RgbImage"/> as PNG or JPEG, and converts it to a Skia bitmap for drawing.</summary>
public static class ImageEncoder
{
    public static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = bitmap.GetPixelSpan();
        var rgb = image.Pixels;
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgba[i] = rgb[j];
            rgba[i + 1] = rgb[j + 1];
            rgba[i + 2] = rgb[j + 2];
            rgba[i + 3] = 255;
        }
        return bitmap;
    }

    public static byte[] Encode(RgbImage image, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var bitmap = ToBitmap(image);
        return Encode(bitmap, format, quality);
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }
}
