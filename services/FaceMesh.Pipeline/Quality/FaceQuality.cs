namespace FaceMesh.Pipeline.Quality;

/// <summary>
/// How usable a face is for recognition, with the parts it is made of so a policy can act on any.
/// <see cref="Overall"/> is the product of the four factors, each in [0, 1].
/// </summary>
public sealed record FaceQuality(
    float Overall,
    float DetectorScore,
    float EyeDistance,
    float Yaw,
    float Pitch,
    float Roll,
    float Sharpness)
{
    public override string ToString() =>
        $"{Overall:F2} (score {DetectorScore:F2}, eyes {EyeDistance:F0}px, yaw {Yaw:F0}°, pitch {Pitch:F0}°, roll {Roll:F0}°, sharpness {Sharpness:F2})";
}
