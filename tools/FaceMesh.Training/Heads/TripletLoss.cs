using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Heads;

/// <summary>
/// Triplet loss with batch-hard mining (Hermans et al., 2017): for every anchor of a P×K batch, its farthest
/// positive and its nearest negative (Euclidean distance between L2-normalised embeddings), and the mean of
/// max(0, d(a, p) − d(a, n) + margin). Anchors without a positive or a negative in the batch are left out.
/// </summary>
public static class TripletLoss
{
    public static Tensor BatchHard(Tensor embeddings, Tensor labels, double margin = 0.2)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.normalize(embeddings, p: 2, dim: 1);
        var squared = (x.unsqueeze(1) - x.unsqueeze(0)).pow(2).sum(2);
        var distances = (squared + 1e-12).sqrt() * (1 - eye(x.shape[0], dtype: x.dtype, device: x.device)); // exact zero on the diagonal
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var self = eye(x.shape[0], dtype: ScalarType.Bool, device: x.device);
        var positive = same.logical_and(self.logical_not());
        var negative = same.logical_not();
        var hardestPositive = where(positive, distances, zeros_like(distances)).max(1).values;
        var hardestNegative = where(negative, distances, full_like(distances, double.PositiveInfinity)).min(1).values;
        var valid = positive.any(1).logical_and(negative.any(1));
        var losses = nn.functional.relu(hardestPositive - hardestNegative + margin);
        return (losses.masked_select(valid).sum() / valid.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }
}
