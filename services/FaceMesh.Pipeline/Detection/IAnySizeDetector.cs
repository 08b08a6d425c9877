using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>A detector that can also run at another input size than its own (a fully convolutional one).</summary>
public interface IAnySizeDetector : IFaceDetector
{
    /// <summary>Whether <see cref="DetectAt"/> may be given another size than <see cref="IFaceDetector.InputSize"/>.</summary>
    bool AnySize { get; }

    /// <summary>Faces in the image resized to <paramref name="inputWidth"/>×<paramref name="inputHeight"/> for the model; boxes in the
    /// image's pixels.</summary>
    IReadOnlyList<DetectedFace> DetectAt(RgbImage image, int inputWidth, int inputHeight, float? scoreThreshold = null, int? topK = null);
}
