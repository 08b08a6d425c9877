namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// The prior boxes of the Ultra-Light detector (RFB-320) for any input size, generated as its authors do
/// (Linzaer, Ultra-Light-Fast-Generic-Face-Detector-1MB, <c>generate_priors</c>): four feature maps at strides 8, 16,
/// 32 and 64 (⌈size / stride⌉ cells, as the stride-2 convolutions make them), anchors of 10, 16, 24 / 32, 48 / 64, 96 /
/// 128, 192, 256 input pixels per cell, centres at the cells' middles, all normalised by the input size and clipped
/// to [0, 1]; ordered by feature map, row, column, anchor (the heads' NHWC order). At 320×240 they are the 4,420 of
/// the published graph. Regressions decode SSD-style with centre variance 0.1 and size variance 0.2.
/// </summary>
public static class UltraLightPriors
{
    private static readonly int[] Strides = [8, 16, 32, 64];
    private static readonly int[][] MinBoxes = [[10, 16, 24], [32, 48], [64, 96], [128, 192, 256]];
    public const float CenterVariance = 0.1f, SizeVariance = 0.2f;

    /// <summary>
    /// Priors as (centre x, centre y, width, height), normalised, four floats each. Centres at the cells' true
    /// middles, (i + 0.5) × stride / size; with <paramref name="asShipped"/>, normalised by the map's cell count instead,
    /// (i + 0.5) / ⌈size / stride⌉, as the shipped graph's constants are: the two differ only where the size is not a
    /// multiple of the stride (at 240 rows, the stride-32 and stride-64 maps). The shipped ones reproduce the published
    /// graph at 320×240; at other sizes the true centres find more faces on wider-dev (AP 0.626 against 0.578 at the
    /// photos' own size, even-numbered events).
    /// </summary>
    public static float[] For(int width, int height, bool asShipped = false)
    {
        var priors = new List<float>(Count(width, height) * 4);
        for (int k = 0; k < Strides.Length; k++)
        {
            int columns = (width + Strides[k] - 1) / Strides[k], rows = (height + Strides[k] - 1) / Strides[k];
            float scaleW = asShipped ? columns : width / (float)Strides[k], scaleH = asShipped ? rows : height / (float)Strides[k];
            for (int j = 0; j < rows; j++)
                for (int i = 0; i < columns; i++)
                    foreach (int box in MinBoxes[k])
                    {
                        priors.Add(Math.Clamp((i + 0.5f) / scaleW, 0, 1));
                        priors.Add(Math.Clamp((j + 0.5f) / scaleH, 0, 1));
                        priors.Add(Math.Clamp(box / (float)width, 0, 1));
                        priors.Add(Math.Clamp(box / (float)height, 0, 1));
                    }
        }
        return priors.ToArray();
    }

    public static int Count(int width, int height)
    {
        int count = 0;
        for (int k = 0; k < Strides.Length; k++)
            count += (width + Strides[k] - 1) / Strides[k] * ((height + Strides[k] - 1) / Strides[k]) * MinBoxes[k].Length;
        return count;
    }

    /// <summary>The smallest face the detector is built for, in input pixels (its smallest anchor).</summary>
    public const int SmallestAnchor = 10;

    /// <summary>The largest anchor, in input pixels: faces much larger are for a smaller input.</summary>
    public const int LargestAnchor = 256;
}
