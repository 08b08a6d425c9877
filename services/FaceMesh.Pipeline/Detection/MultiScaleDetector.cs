using FaceMesh.Imaging;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// Runs a fixed-input detector over an image pyramid of overlapping tiles, for photos where faces
/// are small next to the image (crowds, group photos, large photos). One pass on the whole image
/// finds the large faces; each further level halves the scale of the tiles, so a face that is too
/// small for one level is twice as large, relative to the detector input, on the next. Tiles overlap
/// by <see cref="MultiScaleOptions.Overlap"/>, detections cut by an inner tile edge are dropped (the
/// neighbouring tile or the coarser level sees the whole face), a tile below the first level keeps only
/// the faces small for it,
/// and all levels are merged with NMS.
/// </summary>
public sealed class MultiScaleDetector(IFaceDetector inner, MultiScaleOptions options, float nmsIouThreshold) : IFaceDetector
{
    public (int Width, int Height) InputSize => inner.InputSize;

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null)
    {
        var all = new List<DetectedFace>(inner.Detect(image, scoreThreshold));
        var (iw, ih) = inner.InputSize;
        double scale = Math.Max(image.Width / (double)iw, image.Height / (double)ih);
        for (int level = 1; level <= options.Levels; level++)
        {
            scale /= 2;
            if (scale < options.MinScale)
                break;
            int tw = (int)Math.Round(iw * scale), th = (int)Math.Round(ih * scale);
            foreach (var (x, y) in Tiles(image.Width, image.Height, tw, th))
            {
                var tile = Resampler.Crop(image, x, y, tw, th);
                foreach (var face in inner.Detect(tile, scoreThreshold))
                {
                    if (CutByInnerEdge(face.Box, x, y, tile.Width, tile.Height, image.Width, image.Height))
                        continue;
                    // Below the first level, a face large for its tile is the coarser level's: here it is more
                    // likely cut off or a false detection in magnified texture (scale assignment, as in SNIP,
                    // Singh & Davis 2018). The first level keeps its large faces: the whole-image pass above it
                    // sees the photo squeezed into 320×240 and misses some of them.
                    if (level > 1 && Math.Max(face.Box.Width, face.Box.Height) > options.MaxFaceFraction * Math.Min(tile.Width, tile.Height))
                        continue;
                    all.Add(face.Offset(x, y));
                }
            }
        }
        return NonMaximumSuppression.Apply(all, nmsIouThreshold);
    }

    private IEnumerable<(int X, int Y)> Tiles(int width, int height, int tw, int th)
    {
        foreach (int y in Starts(height, th))
            foreach (int x in Starts(width, tw))
                yield return (x, y);
    }

    /// <summary>Tile origins along one axis: evenly spread, overlapping by at least the configured fraction.</summary>
    private IEnumerable<int> Starts(int length, int tile)
    {
        if (tile >= length)
        {
            yield return 0;
            yield break;
        }
        int stride = (int)(tile * (1 - options.Overlap));
        int count = (int)Math.Ceiling((length - tile) / (double)stride) + 1;
        for (int i = 0; i < count; i++)
            yield return (int)Math.Round(i * (length - tile) / (double)(count - 1));
    }

    private static bool CutByInnerEdge(FaceBox box, int x, int y, int w, int h, int imageWidth, int imageHeight)
    {
        const float margin = 2;
        return (box.Left < margin && x > 0) || (box.Top < margin && y > 0)
            || (box.Right > w - margin && x + w < imageWidth) || (box.Bottom > h - margin && y + h < imageHeight);
    }

    /// <summary>The inner detector belongs to whoever made it.</summary>
    public void Dispose() { }
}
