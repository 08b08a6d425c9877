using System.Numerics;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// A detector's raw answer for one face, in original image pixels: the box, the score, and the
/// keypoints when the detector has them (BlazeFace: eyes, nose tip, mouth centre, ears).
/// </summary>
public sealed record DetectedFace(FaceBox Box, float Score, Vector2[]? Keypoints = null)
{
    public DetectedFace Offset(float dx, float dy) =>
        new(Box.Offset(dx, dy), Score, Keypoints?.Select(p => p + new Vector2(dx, dy)).ToArray());
}
