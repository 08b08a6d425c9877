using System.Numerics;
using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Quality;

/// <summary>
/// Scores a face from four things that predict recognition errors: the detector's confidence, the
/// face's resolution (distance between the eyes in image pixels), its pose (estimated from the five
/// landmarks) and its sharpness (variance of the Laplacian of the aligned crop, Pech-Pacheco et al.,
/// "Diatom autofocusing in brightfield microscopy", ICPR 2000).
/// </summary>
public static class FaceQualityAssessor
{
    /// <summary>Eye distance, in pixels, from which resolution stops limiting accuracy (the 112-px crop has 35).</summary>
    public const float FullResolutionEyeDistance = 30;

    /// <summary>Nose height between the eye line and the mouth line on the frontal reference: (71.74 − 51.60) / (92.29 − 51.60).</summary>
    private const float FrontalNoseRatio = 0.495f;

    /// <summary>Yaw in degrees from the five points alone (see <see cref="Assess"/>).</summary>
    public static float EstimateYaw(ReadOnlySpan<Vector2> five)
    {
        var eyeVector = five[1] - five[0];
        float eyeDistance = eyeVector.Length();
        var (cos, sin) = (eyeVector.X / Math.Max(eyeDistance, 1e-3f), eyeVector.Y / Math.Max(eyeDistance, 1e-3f));
        float eyeMidX = cos * (five[0].X + five[1].X) / 2 + sin * (five[0].Y + five[1].Y) / 2;
        float noseX = cos * five[2].X + sin * five[2].Y;
        return MathF.Asin(Math.Clamp((noseX - eyeMidX) / Math.Max(eyeDistance / 2, 1e-3f), -1, 1)) * 180 / MathF.PI;
    }

    public static FaceQuality Assess(float detectorScore, ReadOnlySpan<Vector2> five, RgbImage alignedCrop)
    {
        var leftEye = five[0];
        var rightEye = five[1];
        var eyeVector = rightEye - leftEye;
        float eyeDistance = eyeVector.Length();
        float roll = MathF.Atan2(eyeVector.Y, eyeVector.X) * 180 / MathF.PI;

        // In the frame where the eyes are level: yaw from the nose's sideways offset from the eye
        // midpoint (half the eye distance ≈ 90°), pitch from how far down between eyes and mouth it is.
        var (cos, sin) = (eyeVector.X / Math.Max(eyeDistance, 1e-3f), eyeVector.Y / Math.Max(eyeDistance, 1e-3f));
        Vector2 Level(Vector2 p) => new(cos * p.X + sin * p.Y, -sin * p.X + cos * p.Y);
        var eyeMid = Level((leftEye + rightEye) / 2);
        var nose = Level(five[2]);
        var mouthMid = Level((five[3] + five[4]) / 2);
        float yaw = MathF.Asin(Math.Clamp((nose.X - eyeMid.X) / Math.Max(eyeDistance / 2, 1e-3f), -1, 1)) * 180 / MathF.PI;
        float noseRatio = (nose.Y - eyeMid.Y) / Math.Max(mouthMid.Y - eyeMid.Y, 1e-3f);
        float pitch = Math.Clamp((noseRatio - FrontalNoseRatio) * 180, -90, 90);

        float sharpness = Sharpness(alignedCrop);
        float resolution = Math.Clamp((eyeDistance - 8) / (FullResolutionEyeDistance - 8), 0, 1);
        float pose = MathF.Max(0, MathF.Cos(yaw * MathF.PI / 180)) * MathF.Max(0, MathF.Cos(pitch * MathF.PI / 180));
        float overall = Math.Clamp(detectorScore, 0, 1) * resolution * pose * sharpness;
        return new FaceQuality(overall, detectorScore, eyeDistance, yaw, pitch, roll, sharpness);
    }

    /// <summary>
    /// Variance of the 4-neighbour Laplacian over the central half of the grey crop, mapped to [0, 1)
    /// by <c>1 − exp(−variance / 100)</c>: a sharp face scores near 1, a smeared one near 0.
    /// </summary>
    public static float Sharpness(RgbImage crop)
    {
        int w = crop.Width, h = crop.Height;
        var grey = new float[w * h];
        var px = crop.Pixels;
        for (int i = 0, o = 0; o < grey.Length; i += 3, o++)
            grey[o] = 0.299f * px[i] + 0.587f * px[i + 1] + 0.114f * px[i + 2];
        double sum = 0, sumSq = 0;
        int n = 0;
        for (int y = h / 4; y < h * 3 / 4; y++)
            for (int x = w / 4; x < w * 3 / 4; x++)
            {
                int i = y * w + x;
                float lap = grey[i - 1] + grey[i + 1] + grey[i - w] + grey[i + w] - 4 * grey[i];
                sum += lap;
                sumSq += lap * lap;
                n++;
            }
        double variance = sumSq / n - (sum / n) * (sum / n);
        return (float)(1 - Math.Exp(-variance / 100));
    }
}
