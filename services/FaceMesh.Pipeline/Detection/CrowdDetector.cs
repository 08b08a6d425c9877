using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// The crowd mode of a detector that runs at any input size: one pass at the detector's own small input finds the
/// faces that fill much of the photo, then one pass per scale of <see cref="MultiScaleOptions.Scales"/> at the photo's
/// own resolution times that scale (at most <see cref="MultiScaleOptions.MaxMegapixels"/>) finds the smaller ones, and
/// NMS merges them. A face of h pixels in the photo is h × scale input pixels in a pass; a pass keeps only faces of at
/// most <see cref="MultiScaleOptions.MaxFaceInputPixels"/> input pixels, larger ones being a coarser pass's (scale
/// assignment, as in SNIP, Singh and Davis 2018). One model run per pass instead of a pyramid of resized tiles.
/// With <see cref="MultiScaleOptions.MirroredPass"/> the passes at the photo's resolution run on the mirrored photo
/// too, and the two views are combined by <see cref="WeightedBoxFusion"/>: a face both views find keeps its score and
/// gets their mean box, a false positive of one view drops to half its score.
/// </summary>
public sealed class CrowdDetector(IAnySizeDetector inner, MultiScaleOptions options, float nmsIouThreshold) : IMultiViewDetector
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
        var views = DetectViews(image, scoreThreshold);
        return views.Count == 1 ? views[0] : WeightedBoxFusion.Fuse(views, options.FusionIouThreshold);
    }

    /// <summary>The faces of the photo and, with <see cref="MultiScaleOptions.MirroredPass"/>, of the mirrored photo (in the photo's
    /// pixels).</summary>
    public IReadOnlyList<IReadOnlyList<DetectedFace>> DetectViews(RgbImage image, float? scoreThreshold = null)
    {
        var whole = inner.Detect(image, scoreThreshold);
        var views = new List<IReadOnlyList<DetectedFace>> { View(image, whole, scoreThreshold, mirrored: false) };
        if (options.MirroredPass)
            views.Add(View(image.Mirrored(), whole, scoreThreshold, mirrored: true));
        return views;
    }

    /// <summary>The single pass's faces (<paramref name="whole"/>) and the full-resolution passes' on <paramref name="image"/>,
    /// merged.</summary>
    private List<DetectedFace> View(RgbImage image, IReadOnlyList<DetectedFace> whole, float? scoreThreshold, bool mirrored)
    {
        var all = new List<DetectedFace>(whole);
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
                    all.Add(mirrored ? face.Unmirrored(image.Width) : face);
            }
        }
        return NonMaximumSuppression.Apply(all, nmsIouThreshold);
    }

    /// <summary>The inner detector belongs to whoever made it.</summary>
    public void Dispose() { }
}
