namespace FaceMesh.Pipeline.Detection;

/// <summary>How the crowd mode (multi-scale detection) looks for small faces.</summary>
public enum CrowdStrategy
{
    /// <summary>
    /// The detector at the photo's own resolution, one run (<see cref="CrowdDetector"/>), where the pack has an any-size
    /// graph; else the pyramid. On wider-dev, with its mirrored view (<see cref="MultiScaleOptions.MirroredPass"/>), AP 0.633
    /// against the pyramid's 0.626 in half its time.
    /// </summary>
    FullResolution,
    /// <summary>A pyramid of overlapping 320×240 tiles (<see cref="MultiScaleDetector"/>), for any detector.</summary>
    Pyramid,
    /// <summary>
    /// The full-resolution crowd mode of the pack's detector (both views) and of its second detector (the default pack:
    /// MediaPipe's full-range BlazeFace; the photo's view only), combined by <see cref="WeightedBoxFusion"/>. On
    /// wider-dev AP 0.642 against 0.633, at about twice the cost of <see cref="FullResolution"/>.
    /// </summary>
    Fused,
}

public sealed record MultiScaleOptions
{
    public CrowdStrategy Strategy { get; init; } = CrowdStrategy.FullResolution;

    /// <summary>Pyramid levels below the whole-image pass; each halves the tile scale.</summary>
    public int Levels { get; init; } = 2;

    /// <summary>Smallest tile scale (image pixels per detector pixel); below 1 the tiles are enlarged.</summary>
    public double MinScale { get; init; } = 0.75;

    /// <summary>Largest face a tile reports, as a fraction of its shorter side; larger faces are left to coarser levels.</summary>
    public double MaxFaceFraction { get; init; } = 0.4;

    /// <summary>Fraction of a tile shared with its neighbour.</summary>
    public double Overlap { get; init; } = 0.45;

    /// <summary>Any-size detectors (<see cref="CrowdDetector"/>): a pass per scale, at the photo's own size times it.</summary>
    /// <remarks>Chosen on wider-dev's even-numbered events: [1] against [1, 2], [0.5, 1], [0.5, 1, 2] (an upscaled pass
    /// found more small faces there, and fewer on the odd-numbered events).</remarks>
    public IReadOnlyList<double> Scales { get; init; } = [1];

    /// <summary>Any-size detectors: a pass's input is scaled down to at most this many megapixels.</summary>
    public double MaxMegapixels { get; init; } = 4;

    /// <summary>Any-size detectors: the largest face a pass reports, in its input pixels (larger: a coarser pass's).</summary>
    /// <remarks>Chosen on wider-dev's even-numbered events (120 against 160 and none), confirmed on the odd-numbered ones.</remarks>
    public double MaxFaceInputPixels { get; init; } = 120;

    /// <summary>
    /// Any-size detectors: the full-resolution passes run on the mirrored photo too, and the two views are fused
    /// (<see cref="WeightedBoxFusion"/>). About twice the cost of one view.
    /// </summary>
    /// <remarks>Chosen on wider-dev's even-numbered events (AP 0.660 against 0.644 without, 0.651 with the views merged
    /// by NMS instead), confirmed on the odd-numbered ones (0.574 against 0.559).</remarks>
    public bool MirroredPass { get; init; } = true;

    /// <summary>Weighted box fusion (mirrored views, <see cref="CrowdStrategy.Fused"/>): a box joins a fused face it overlaps by more than
    /// this IoU.</summary>
    /// <remarks>Chosen on wider-dev's even-numbered events (0.4 against 0.55: AP 0.668 and 0.666 fused), confirmed on the odd-numbered
    /// ones.</remarks>
    public float FusionIouThreshold { get; init; } = 0.4f;

    /// <summary>Any-size detectors: candidates of a pass kept (best first) before NMS.</summary>
    public int MaxCandidates { get; init; } = 5000;
}
