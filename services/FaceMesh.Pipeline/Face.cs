using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Quality;

namespace FaceMesh.Pipeline;

/// <summary>
/// One face found in a photo: box and landmarks in the photo's pixels, the aligned crop the embedder
/// takes, and its quality.
/// </summary>
public sealed record Face(
    FaceBox Box,
    float Score,
    Vector2[] Landmarks,
    Vector2[]? DenseLandmarks,
    RgbImage AlignedCrop,
    FaceQuality Quality);
