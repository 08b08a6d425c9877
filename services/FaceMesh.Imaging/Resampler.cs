namespace FaceMesh.Imaging;

/// <summary>
/// Resizing and affine warping with bilinear interpolation (pixel centres at +0.5, as OpenCV's
/// <c>resize</c> and <c>warpAffine</c>). Downscaling by two or more first averages whole blocks of
/// pixels, so a large photo shrunk for the detector does not alias.
/// </summary>
public static class Resampler
{
    public static RgbImage Resize(RgbImage source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int factor = (int)Math.Min(source.Width / (double)width, source.Height / (double)height);
        if (factor >= 2)
            source = BoxShrink(source, factor);
        if (source.Width == width && source.Height == height)
            return source;
        double sx = source.Width / (double)width, sy = source.Height / (double)height;
        // dst pixel centre (u + 0.5) maps to src (u + 0.5)·s − 0.5.
        var inverse = Affine2D.ScaleTranslate(sx, sy, 0.5 * sx - 0.5, 0.5 * sy - 0.5);
        return WarpInverse(source, inverse, width, height, clampToEdge: true);
    }

    /// <summary>
    /// Warps <paramref name="source"/> by <paramref name="forward"/> (source → target coordinates)
    /// into a <paramref name="width"/>×<paramref name="height"/> image; outside pixels are black.
    /// </summary>
    public static RgbImage Warp(RgbImage source, Affine2D forward, int width, int height) =>
        WarpInverse(source, forward.Invert(), width, height, clampToEdge: false);

    /// <summary>
    /// <see cref="Warp"/> for a map that shrinks: when it shrinks by two or more, the source region it
    /// reads is first block-averaged by that integer factor, so the bilinear warp does not alias
    /// (bilinear sampling alone reads only 4 of many source pixels per output pixel).
    /// </summary>
    public static RgbImage WarpAntiAliased(RgbImage source, Affine2D forward, int width, int height)
    {
        double scale = Math.Sqrt(Math.Abs(forward.Determinant)); // target pixels per source pixel
        int shrink = (int)Math.Floor(1 / scale);
        if (shrink < 2)
            return Warp(source, forward, width, height);

        // The source region the target reads from, plus a margin for the bilinear taps.
        var inverse = forward.Invert();
        Span<System.Numerics.Vector2> corners = [inverse.Apply(new(0, 0)), inverse.Apply(new(width, 0)),
                                                 inverse.Apply(new(0, height)), inverse.Apply(new(width, height))];
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var c in corners)
        {
            minX = Math.Min(minX, c.X); minY = Math.Min(minY, c.Y); maxX = Math.Max(maxX, c.X); maxY = Math.Max(maxY, c.Y);
        }
        int x0 = Math.Clamp((int)minX - shrink, 0, source.Width), y0 = Math.Clamp((int)minY - shrink, 0, source.Height);
        int x1 = Math.Clamp((int)maxX + shrink + 1, 0, source.Width), y1 = Math.Clamp((int)maxY + shrink + 1, 0, source.Height);
        if (x1 - x0 < shrink * 2 || y1 - y0 < shrink * 2)
            return Warp(source, forward, width, height);
        var region = BoxShrink(Crop(source, x0, y0, x1 - x0, y1 - y0), shrink);
        // Region pixel p (a block's centre) is source point shrink·(p + 0.5) − 0.5 + origin.
        var regionToSource = Affine2D.ScaleTranslate(shrink, shrink, x0 + 0.5 * shrink - 0.5, y0 + 0.5 * shrink - 0.5);
        return Warp(region, forward.After(regionToSource), width, height);
    }

    /// <summary>A block-average shrink by an integer factor (the remainder columns and rows are dropped).</summary>
    public static RgbImage BoxShrink(RgbImage source, int factor)
    {
        int w = source.Width / factor, h = source.Height / factor;
        var target = new RgbImage(w, h);
        var src = source.Pixels;
        var dst = target.Pixels;
        int area = factor * factor, half = area / 2;
        var sums = new int[w * 3];
        for (int y = 0; y < h; y++)
        {
            Array.Clear(sums);
            for (int dy = 0; dy < factor; dy++)
            {
                int row = (y * factor + dy) * source.Stride;
                for (int x = 0; x < w; x++)
                {
                    int i = row + x * factor * 3;
                    int s = x * 3;
                    for (int dx = 0; dx < factor; dx++, i += 3)
                    {
                        sums[s] += src[i];
                        sums[s + 1] += src[i + 1];
                        sums[s + 2] += src[i + 2];
                    }
                }
            }
            int o = y * target.Stride;
            for (int k = 0; k < sums.Length; k++)
                dst[o + k] = (byte)((sums[k] + half) / area);
        }
        return target;
    }

    private static RgbImage WarpInverse(RgbImage source, Affine2D inverse, int width, int height, bool clampToEdge)
    {
        var target = new RgbImage(width, height);
        var src = source.Pixels;
        var dst = target.Pixels;
        int sw = source.Width, sh = source.Height, stride = source.Stride;
        int j = 0;
        for (int v = 0; v < height; v++)
        {
            double rowX = inverse.B * v + inverse.Tx, rowY = inverse.D * v + inverse.Ty;
            for (int u = 0; u < width; u++, j += 3)
            {
                double x = inverse.A * u + rowX, y = inverse.C * u + rowY;
                if (clampToEdge)
                {
                    x = Math.Clamp(x, 0, sw - 1);
                    y = Math.Clamp(y, 0, sh - 1);
                }
                else if (x <= -1 || y <= -1 || x >= sw || y >= sh)
                {
                    continue; // black border, as OpenCV's BORDER_CONSTANT
                }
                int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
                double fx = x - x0, fy = y - y0;
                for (int c = 0; c < 3; c++)
                {
                    double p00 = Sample(src, stride, sw, sh, x0, y0, c);
                    double p10 = Sample(src, stride, sw, sh, x0 + 1, y0, c);
                    double p01 = Sample(src, stride, sw, sh, x0, y0 + 1, c);
                    double p11 = Sample(src, stride, sw, sh, x0 + 1, y0 + 1, c);
                    double top = p00 + (p10 - p00) * fx, bottom = p01 + (p11 - p01) * fx;
                    dst[j + c] = (byte)Math.Clamp(top + (bottom - top) * fy + 0.5, 0, 255);
                }
            }
        }
        return target;
    }

    private static double Sample(byte[] src, int stride, int w, int h, int x, int y, int c) =>
        (uint)x < (uint)w && (uint)y < (uint)h ? src[y * stride + x * 3 + c] : 0;

    /// <summary>The region <paramref name="x"/>, <paramref name="y"/>, <paramref name="width"/>×<paramref name="height"/>, clipped to the
    /// image.</summary>
    public static RgbImage Crop(RgbImage source, int x, int y, int width, int height)
    {
        int x0 = Math.Clamp(x, 0, source.Width - 1), y0 = Math.Clamp(y, 0, source.Height - 1);
        int x1 = Math.Clamp(x + width, x0 + 1, source.Width), y1 = Math.Clamp(y + height, y0 + 1, source.Height);
        var target = new RgbImage(x1 - x0, y1 - y0);
        for (int row = 0; row < target.Height; row++)
            source.Pixels.AsSpan((y0 + row) * source.Stride + x0 * 3, target.Stride).CopyTo(target.Row(row));
        return target;
    }
}
