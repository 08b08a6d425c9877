using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Quality;

namespace FaceMesh.Pipeline;

/// <summary>
/// One face found in a photo: box and landmarks in the photo's pixels, the aligned crops the pack's
/// embedders take (one per distinct alignment, in the pack's order: <see
/// cref="Alignment.AlignmentSpec.Of(FaceMesh.ModelPacks.ModelPackManifest)"/>),
/// and its quality.
/// </summary>
public sealed record Face(
    FaceBox Box,
    float Score,
    Vector2[] Landmarks,
    Vector2[]? DenseLandmarks,
    IReadOnlyList<RgbImage> AlignedCrops,
    FaceQuality Quality)
{
    /// <summary>The first embedder's crop (the only one of a pack with one embedder).</summary>
    public RgbImage AlignedCrop => AlignedCrops[0];
}
