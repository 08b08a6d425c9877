using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// Warps a face onto an embedder's crop (<see cref="AlignmentSpec"/>): the least-squares similarity transform
/// of its landmarks onto the crop's reference points, then a bilinear warp to the crop size (112×112 for
/// ArcFace-style models). For dlib's chip the 68 landmarks are fitted as dlib fits them when the face has
/// them, else its five points. With anti-aliasing, a face more than twice the crop size is block-averaged
/// down first (<see cref="Resampler.WarpAntiAliased"/>).
/// </summary>
public sealed class FaceAligner
{
    private readonly Vector2[] _five;
    private readonly Vector2[]? _dlibTemplate;
    private readonly bool _antiAlias;

    public FaceAligner(AlignmentSpec spec, bool antiAlias = true)
    {
        Spec = spec;
        _five = spec.FivePointReference.ToArray();
        _dlibTemplate = spec.DlibChipPadding is { } padding ? DlibFaceChip.FittedTemplate(spec.Size, padding) : null;
        _antiAlias = antiAlias;
    }

    /// <summary>An ArcFace-style aligner: five reference points on a square crop.</summary>
    public FaceAligner(IReadOnlyList<Vector2> reference, int cropSize, bool antiAlias = true)
        : this(new AlignmentSpec(cropSize, reference, null), antiAlias)
    {
    }

    public AlignmentSpec Spec { get; }
    public int CropSize => Spec.Size;

    public Affine2D TransformFor(ReadOnlySpan<Vector2> landmarks, IReadOnlyList<Vector2>? dense68 = null)
    {
        if (_dlibTemplate is not null && dense68 is { Count: 68 })
        {
            var fitted = DlibFaceChip.FittedPoints.Select(i => dense68[i]).ToArray();
            return SimilarityTransform.Estimate(fitted, _dlibTemplate);
        }
        return SimilarityTransform.Estimate(landmarks, _five);
    }

    public RgbImage Align(RgbImage image, ReadOnlySpan<Vector2> landmarks, IReadOnlyList<Vector2>? dense68 = null)
    {
        var transform = TransformFor(landmarks, dense68);
        return _antiAlias
            ? Resampler.WarpAntiAliased(image, transform, CropSize, CropSize)
            : Resampler.Warp(image, transform, CropSize, CropSize);
    }
}
