using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// MediaPipe Face Mesh (Kartynnik et al., "Real-time Facial Surface Geometry from Monocular Video on Mobile
/// GPUs", 2019): 468 points of a 3-D face model fitted to a square crop of the face, and a score that a face is
/// there at all. The first pass crops around the detector's box; the second crops again around the first pass's
/// points, turned so the eyes are level (as MediaPipe's tracking does), which is where the model is accurate.
/// The five alignment points come from the mesh's eye contours, nose tip and mouth corners; for a profile the
/// hidden eye is where the 3-D model puts it, not on the hair or the ear.
/// </summary>
public sealed class FaceMeshModel(string modelPath, FaceMeshSpec spec, InferenceOptions options, Action<string>? log = null) : IDisposable
{
    public const int Points = 468;

    // Mesh indices (MediaPipe's canonical face): the subject's right eye (image left), left eye, nose tip, mouth corners.
    private static readonly int[] RightEye = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173];
    private static readonly int[] LeftEye = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398];
    private const int NoseTip = 1, MouthRight = 61, MouthLeft = 291, RightEyeOuter = 33, LeftEyeOuter = 263;

    private readonly OnnxModel _model = new(modelPath, options, log);

    public FaceMeshSpec Spec => spec;

    /// <summary>The mesh of the face in <paramref name="box"/>, in image pixels, after <paramref name="passes"/> passes.</summary>
    public FaceMeshResult Locate(RgbImage image, Detection.FaceBox box, int passes = 2)
    {
        var centre = new Vector2(box.CenterX, box.CenterY);
        float side = Math.Max(box.Width, box.Height) * spec.CropScale;
        var result = LocateOnce(image, centre, side, 0);
        for (int pass = 1; pass < passes; pass++)
        {
            // MediaPipe's ROI from landmarks: the points' bounding box, turned by the line through the outer eye corners.
            var p = result.Points;
            var eyes = p[LeftEyeOuter] - p[RightEyeOuter];
            float angle = MathF.Atan2(eyes.Y, eyes.X);
            var (cos, sin) = (MathF.Cos(-angle), MathF.Sin(-angle));
            float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
            foreach (var q in p)
            {
                float x = cos * q.X - sin * q.Y, y = sin * q.X + cos * q.Y;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
            var c = new Vector2((minX + maxX) / 2, (minY + maxY) / 2);
            centre = new Vector2(MathF.Cos(angle) * c.X - MathF.Sin(angle) * c.Y, MathF.Sin(angle) * c.X + MathF.Cos(angle) * c.Y);
            side = Math.Max(maxX - minX, maxY - minY) * spec.CropScale;
            result = LocateOnce(image, centre, side, angle);
        }
        return result;
    }

    private FaceMeshResult LocateOnce(RgbImage image, Vector2 centre, float side, float angle)
    {
        int size = spec.InputSize;
        float scale = size / side;
        // Image → crop: move the centre to the origin, turn by −angle, scale, move to the crop's centre.
        var (cos, sin) = (Math.Cos(-angle) * scale, Math.Sin(-angle) * scale);
        var toCrop = new Affine2D(cos, -sin, size / 2.0 - (cos * centre.X - sin * centre.Y),
                                  sin, cos, size / 2.0 - (sin * centre.X + cos * centre.Y));
        var crop = Resampler.WarpAntiAliased(image, toCrop, size, size);
        var input = new float[size * size * 3];
        ModelInput.WriteInterleaved(crop, spec.Normalization, input);
        var outputs = _model.Run(input, [1, size, size, 3]);
        var mesh = outputs.GetValueOrDefault(spec.MeshOutput) ?? throw new ModelFileException($"The face mesh model has no output '{spec.MeshOutput}'.");
        var confidence = outputs.GetValueOrDefault(spec.ConfidenceOutput) ?? throw new ModelFileException($"The face mesh model has no output '{spec.ConfidenceOutput}'.");
        if (mesh.Length != Points * 3)
            throw new ModelFileException($"The face mesh model returned {mesh.Length} values; {Points} points × 3 expected.");
        if (!float.IsFinite(confidence[0]) || mesh.Any(v => !float.IsFinite(v)))
            throw new LandmarkModelException($"The face mesh model ({Path.GetFileName(modelPath)}) returned a non-finite value for the face at ({centre.X:F0}, {centre.Y:F0}); the model file is damaged or is not MediaPipe's face mesh.");
        var back = toCrop.Invert();
        var points = new Vector2[Points];
        var depth = new float[Points];
        for (int i = 0; i < Points; i++)
        {
            points[i] = back.Apply(new Vector2(mesh[3 * i], mesh[3 * i + 1]));
            depth[i] = mesh[3 * i + 2] / scale;
        }
        return new FaceMeshResult(points, depth, confidence[0]);
    }

    /// <summary>FaceMesh's five points from the mesh: the eye contours' centres, the nose tip, the mouth corners (image order).</summary>
    public static Vector2[] FivePoints(IReadOnlyList<Vector2> mesh) =>
    [
        Mean(mesh, RightEye), Mean(mesh, LeftEye), mesh[NoseTip], mesh[MouthRight], mesh[MouthLeft],
    ];

    /// <summary>
    /// Yaw in degrees from the mesh's 3-D eye corners: the angle of the line between the outer eye corners out of
    /// the image plane (0 frontal, ±90 a full profile).
    /// </summary>
    public static float Yaw(FaceMeshResult mesh)
    {
        var d = mesh.Points[LeftEyeOuter] - mesh.Points[RightEyeOuter];
        float dz = mesh.Depth[LeftEyeOuter] - mesh.Depth[RightEyeOuter];
        return MathF.Atan2(dz, d.Length()) * 180 / MathF.PI;
    }

    private static Vector2 Mean(IReadOnlyList<Vector2> points, int[] indices)
    {
        var sum = Vector2.Zero;
        foreach (var i in indices)
            sum += points[i];
        return sum / indices.Length;
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>A face mesh in image pixels: 468 points, their depth (same units, larger is farther), and the face-presence score.</summary>
public sealed record FaceMeshResult(Vector2[] Points, float[] Depth, float Confidence);

/// <summary>A landmark model returned something unusable (NaN, infinity): the face cannot be aligned with it.</summary>
public sealed class LandmarkModelException(string message) : Exception(message);
