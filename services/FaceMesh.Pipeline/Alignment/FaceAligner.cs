using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// Warps a face onto the embedder's reference: the similarity transform of its five landmarks onto
/// the reference points, then a bilinear warp to the crop size (112×112 for ArcFace-style models).
/// When the face is more than twice the crop size, its region is first block-averaged down so the
/// warp does not alias (bilinear sampling alone reads only 4 of many source pixels per output pixel).
/// </summary>
public sealed class FaceAligner(IReadOnlyList<Vector2> reference, int cropSize, bool antiAlias = true)
{
    public int CropSize => cropSize;

    public Affine2D TransformFor(ReadOnlySpan<Vector2> landmarks) =>
        SimilarityTransform.Estimate(landmarks, reference.ToArray());

    public RgbImage Align(RgbImage image, ReadOnlySpan<Vector2> landmarks)
    {
        var transform = TransformFor(landmarks);
        double scale = Math.Sqrt(Math.Abs(transform.Determinant)); // crop pixels per image pixel
        int shrink = antiAlias ? (int)Math.Floor(1 / scale) : 1;
        if (shrink < 2)
            return Resampler.Warp(image, transform, cropSize, cropSize);

        // The image region the crop reads from, plus a margin for the bilinear taps.
        var inverse = transform.Invert();
        Span<Vector2> corners = [inverse.Apply(new(0, 0)), inverse.Apply(new(cropSize, 0)),
                                 inverse.Apply(new(0, cropSize)), inverse.Apply(new(cropSize, cropSize))];
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var c in corners)
        {
            minX = Math.Min(minX, c.X); minY = Math.Min(minY, c.Y); maxX = Math.Max(maxX, c.X); maxY = Math.Max(maxY, c.Y);
        }
        int x0 = Math.Max(0, (int)minX - shrink), y0 = Math.Max(0, (int)minY - shrink);
        int x1 = Math.Min(image.Width, (int)maxX + shrink + 1), y1 = Math.Min(image.Height, (int)maxY + shrink + 1);
        if (x1 - x0 < shrink * 2 || y1 - y0 < shrink * 2)
            return Resampler.Warp(image, transform, cropSize, cropSize);
        var region = Resampler.BoxShrink(Resampler.Crop(image, x0, y0, x1 - x0, y1 - y0), shrink);
        // region pixel (centre-aligned) p maps to image point shrink·(p + 0.5) − 0.5 + origin.
        var regionToImage = Affine2D.ScaleTranslate(shrink, shrink, x0 + 0.5 * shrink - 0.5, y0 + 0.5 * shrink - 0.5);
        return Resampler.Warp(region, transform.After(regionToImage), cropSize, cropSize);
    }
}
