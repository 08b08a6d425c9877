using SkiaSharp;

namespace FaceMesh.Imaging;

/// <summary>
/// Applies an EXIF orientation (TIFF/EXIF tag 0x0112) so the image is upright, as a viewer shows it.
/// </summary>
public static class Orientation
{
    public static RgbImage Apply(RgbImage source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
            return source;

        int w = source.Width, h = source.Height;
        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var target = swaps ? new RgbImage(h, w) : new RgbImage(w, h);
        var src = source.Pixels;
        var dst = target.Pixels;
        int j = 0;
        for (int v = 0; v < target.Height; v++)
            for (int u = 0; u < target.Width; u++, j += 3)
            {
                // (u, v) is the upright pixel; (x, y) the stored pixel it comes from.
                var (x, y) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - u, v),            // 2: mirrored
                    SKEncodedOrigin.BottomRight => (w - 1 - u, h - 1 - v), // 3: rotated 180°
                    SKEncodedOrigin.BottomLeft => (u, h - 1 - v),          // 4: mirrored vertically
                    SKEncodedOrigin.LeftTop => (v, u),                     // 5: transposed
                    SKEncodedOrigin.RightTop => (v, h - 1 - u),            // 6: needs 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - v, h - 1 - u), // 7: transversed
                    SKEncodedOrigin.LeftBottom => (w - 1 - v, u),          // 8: needs 90° anticlockwise
                    _ => (u, v),
                };
                int i = (y * w + x) * 3;
                dst[j] = src[i];
                dst[j + 1] = src[i + 1];
                dst[j + 2] = src[i + 2];
            }
        return target;
    }
}
