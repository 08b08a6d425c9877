namespace FaceMesh.Imaging;

/// <summary>
/// What an image may cost before it is decoded. Checked on the encoded bytes and on the header,
/// so a decompression bomb (a small file that declares a huge canvas) is refused, not decoded.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Largest encoded image accepted, in bytes. Default 20 MiB.</summary>
    public long MaxBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Largest decoded canvas accepted, in pixels (width × height). Default 40 megapixels.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>
    /// Largest image decoded, in pixels: a larger photo is decoded at the largest scale the codec offers under it (JPEG and
    /// WebP scale while decoding; PNG, GIF and BMP are decoded in full, within <see cref="MaxPixels"/>). Default: no scaling.
    /// </summary>
    public long MaxDecodePixels { get; init; } = long.MaxValue;

    /// <summary>Smallest side accepted, in pixels. A face needs more than a handful of pixels.</summary>
    public int MinSide { get; init; } = 16;

    public static ImageLimits Default { get; } = new();
}
