namespace FaceMesh.Pipeline;

/// <summary>Which of a pack's landmark models place the five points.</summary>
public enum LandmarkChoice
{
    /// <summary>As the pack says: the 68-point model, and the face mesh for turned faces (<c>faceMesh.useAboveYaw</c>).</summary>
    Pack,
    /// <summary>The 68-point model only.</summary>
    Ibug68,
    /// <summary>The face mesh only.</summary>
    FaceMesh,
}
