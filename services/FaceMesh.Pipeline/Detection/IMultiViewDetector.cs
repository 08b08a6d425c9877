using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// A detector whose answer fuses several views of the photo (the crowd mode's photo and its mirror image): a fusion
/// of several detectors takes the views one by one, so each counts as one voice.
/// </summary>
public interface IMultiViewDetector : IFaceDetector
{
    IReadOnlyList<IReadOnlyList<DetectedFace>> DetectViews(RgbImage image, float? scoreThreshold = null);
}
