using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// Warps a face onto the embedder's reference: the similarity transform of its five landmarks onto
/// the reference points, then a bilinear warp to the crop size (112×112 for ArcFace-style models).
/// With anti-aliasing, a face more than twice the crop size is block-averaged down first
/// (<see cref="Resampler.WarpAntiAliased"/>).
/// </summary>
public sealed class FaceAligner(IReadOnlyList<Vector2> reference, int cropSize, bool antiAlias = true)
{
    public int CropSize => cropSize;

    public Affine2D TransformFor(ReadOnlySpan<Vector2> landmarks) =>
        SimilarityTransform.Estimate(landmarks, reference.ToArray());

    public RgbImage Align(RgbImage image, ReadOnlySpan<Vector2> landmarks)
    {
        var transform = TransformFor(landmarks);
        return antiAlias
            ? Resampler.WarpAntiAliased(image, transform, cropSize, cropSize)
            : Resampler.Warp(image, transform, cropSize, cropSize);
    }
}
