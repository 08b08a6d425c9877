namespace FaceMesh.Pipeline.Verification;

/// <summary>A cosine threshold that gives the target false-accept rate on the calibration set.</summary>
public readonly record struct FarThreshold(double Far, float Threshold);
