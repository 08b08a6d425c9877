using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// The crowd mode of a detector that runs at any input size: one pass at the detector's own small input finds the
/// faces that fill much of the photo, then one pass per scale of <see cref="MultiScaleOptions.Scales"/> at the photo's
/// own resolution times that scale (at most <see cref="MultiScaleOptions.MaxMegapixels"/>) finds the smaller ones, and
/// NMS merges them. A face of h pixels in the photo is h × scale input pixels in a pass; a pass keeps only faces of at
/// most <see cref="MultiScaleOptions.MaxFaceInputPixels"/> input pixels, larger ones being a coarser pass's (scale
/// assignment, as in SNIP, Singh and Davis 2018). One model run per pass instead of a pyramid of resized tiles.
/// </summary>
public sealed class CrowdDetector(IAnySizeDetector inner, MultiScaleOptions options, float nmsIouThreshold) : IFaceDetector
{
    public (int Width, int Height) InputSize => inner.InputSize;

    /// <summary>The input size of the pass at <paramref name="scale"/> times the image (aspect kept, capped in megapixels).</summary>
    public (int Width, int Height, double Scale) PassSize(int width, int height, double scale)
    {
        double megapixels = width * (double)height * scale * scale / 1e6;
        if (megapixels > options.MaxMegapixels)
            scale *= Math.Sqrt(options.MaxMegapixels / megapixels);
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)), scale);
    }

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null)
    {
        var all = new List<DetectedFace>(inner.Detect(image, scoreThreshold));
        var (iw, ih) = inner.InputSize;
        double done = 0;
        foreach (var wanted in options.Scales)
        {
            var (w, h, scale) = PassSize(image.Width, image.Height, wanted);
            if ((w <= iw * 1.25 && h <= ih * 1.25) || scale <= done * 1.05)
                continue; // no larger than a pass already made
            done = scale;
            foreach (var face in inner.DetectAt(image, w, h, scoreThreshold, options.MaxCandidates))
            {
                if (Math.Max(face.Box.Width, face.Box.Height) * scale <= options.MaxFaceInputPixels)
                    all.Add(face);
            }
        }
        return NonMaximumSuppression.Apply(all, nmsIouThreshold);
    }

    /// <summary>The inner detector belongs to whoever made it.</summary>
    public void Dispose() { }
}
