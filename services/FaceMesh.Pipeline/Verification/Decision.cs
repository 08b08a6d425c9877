namespace FaceMesh.Pipeline.Verification;

/// <summary>The answer at one operating point: same person when the score reaches the threshold.</summary>
public readonly record struct Decision(double Far, float Threshold, bool Match);
