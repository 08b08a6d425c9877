using System.Numerics;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// The five alignment points, in image order (as the image is seen, not the subject's left and
/// right): eye on the left, eye on the right, nose tip, mouth corner on the left, on the right.
/// </summary>
public static class FiveLandmarks
{
    public const int Count = 5;

    /// <summary>From the 68-point iBUG 300-W markup: eye centres are the means of 36–41 and 42–47,
    /// the nose tip is 30, each mouth corner the mean of its outer and inner lip corner (48/60, 54/64).</summary>
    public static Vector2[] From68(ReadOnlySpan<Vector2> p) =>
    [
        Mean(p[36..42]),
        Mean(p[42..48]),
        p[30],
        (p[48] + p[60]) / 2,
        (p[54] + p[64]) / 2,
    ];

    /// <summary>
    /// From BlazeFace's keypoints (two eyes, nose tip, mouth centre, two ears). BlazeFace has no mouth
    /// corners: they are placed on the line through the mouth centre parallel to the eyes, at the
    /// width the ArcFace reference has between its mouth corners (29.18 px) relative to its eyes (35.24 px).
    /// </summary>
    public static Vector2[] FromBlazeFace(ReadOnlySpan<Vector2> k)
    {
        var (left, right) = k[0].X <= k[1].X ? (k[0], k[1]) : (k[1], k[0]);
        var halfMouth = (right - left) * (29.18f / 35.24f / 2);
        return [left, right, k[2], k[3] - halfMouth, k[3] + halfMouth];
    }

    private static Vector2 Mean(ReadOnlySpan<Vector2> points)
    {
        var sum = Vector2.Zero;
        foreach (var p in points)
            sum += p;
        return sum / points.Length;
    }
}
