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

    /// <summary>
    /// This face, found in the image mirrored left to right, in the image of <paramref name="width"/> pixels itself:
    /// the box mirrored, and the keypoints mirrored with each left-right pair swapped back (BlazeFace's order: eyes
    /// 0 and 1, nose 2, mouth 3, ears 4 and 5).
    /// </summary>
    public DetectedFace Unmirrored(int width)
    {
        Vector2[]? keypoints = null;
        if (Keypoints is { } k)
        {
            keypoints = k.Select(p => new Vector2(width - p.X, p.Y)).ToArray();
            if (keypoints.Length == 6)
                keypoints = [keypoints[1], keypoints[0], keypoints[2], keypoints[3], keypoints[5], keypoints[4]];
        }
        return new(new FaceBox(width - Box.Right, Box.Top, width - Box.Left, Box.Bottom), Score, keypoints);
    }
}
