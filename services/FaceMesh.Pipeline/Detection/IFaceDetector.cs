using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>Finds faces in an image; boxes and keypoints come back in that image's pixels.</summary>
public interface IFaceDetector : IDisposable
{
    /// <summary>The detector's own input size: the image is resized to it for one pass.</summary>
    (int Width, int Height) InputSize { get; }

    /// <summary>Faces scoring above <paramref name="scoreThreshold"/> (the pack's threshold when null), after NMS.</summary>
    IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null);
}
