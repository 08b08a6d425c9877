using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceMesh.Training.Heads;

/// <summary>
/// A classification head on top of embeddings: logits for the training identities, from which the loss is
/// cross-entropy. Margin heads compare L2-normalised embeddings with L2-normalised class centres (cosines)
/// and penalise the true class's cosine, so that a face must be closer to its own centre than it needs to
/// be for plain softmax: that is what makes the embedding space discriminative for unseen identities.
/// </summary>
public abstract class Head : nn.Module<Tensor, Tensor, Tensor>
{
    protected Head(string name) : base(name) { }

    /// <summary>Logits (batch × classes) for embeddings (batch × dim) whose true classes are <paramref name="labels"/>.</summary>
    public abstract override Tensor forward(Tensor embeddings, Tensor labels);

    /// <summary>Mean cross-entropy of the head's logits.</summary>
    public Tensor Loss(Tensor embeddings, Tensor labels) => nn.functional.cross_entropy(forward(embeddings, labels), labels);
}

/// <summary>Plain softmax: a linear layer (with bias) and cross-entropy.</summary>
public sealed class SoftmaxHead : Head
{
    private readonly Linear _fc;

    public SoftmaxHead(int dimension, int classes) : base(nameof(SoftmaxHead))
    {
        _fc = nn.Linear(dimension, classes);
        RegisterComponents();
    }

    public Linear Classifier => _fc;

    public override Tensor forward(Tensor embeddings, Tensor labels) => _fc.forward(embeddings);
}

/// <summary>
/// The combined margin of InsightFace: the true class's logit is s·(cos(m1·θ + m2) − m3), every other class's
/// s·cos θ. ArcFace is (1, m, 0), CosFace (1, 0, m), SphereFace-like (m, 0, 0). When m1·θ + m2 would pass π
/// (where cos stops decreasing, so the penalty would reward a worse angle), the logit continues linearly:
/// cos θ − m3 − sin(π − m2)·m2, ArcFace's own fallback.
/// </summary>
public class CombinedMarginHead : Head
{
    private readonly Parameter _centres;

    public CombinedMarginHead(int dimension, int classes, double scale = 64, double m1 = 1, double m2 = 0.5, double m3 = 0, string? name = null)
        : base(name ?? nameof(CombinedMarginHead))
    {
        Scale = scale;
        M1 = m1;
        M2 = m2;
        M3 = m3;
        var weight = empty(classes, dimension);
        nn.init.xavier_uniform_(weight);
        _centres = nn.Parameter(weight);
        RegisterComponents();
    }

    public double Scale { get; }
    public double M1 { get; }
    public double M2 { get; }
    public double M3 { get; }

    /// <summary>The class centres (classes × dim), before normalisation.</summary>
    public Parameter Centres => _centres;

    /// <summary>Cosines between the normalised embeddings and the normalised centres (batch × classes).</summary>
    public Tensor Cosines(Tensor embeddings) =>
        nn.functional.linear(nn.functional.normalize(embeddings, p: 2, dim: 1), nn.functional.normalize(_centres, p: 2, dim: 1)).clamp(-1, 1);

    public override Tensor forward(Tensor embeddings, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var cos = Cosines(embeddings);
        var target = TargetLogit(cos);
        var isTrue = nn.functional.one_hot(labels, cos.shape[1]).to(ScalarType.Bool);
        return (where(isTrue, target, cos) * Scale).MoveToOuterDisposeScope();
    }

    /// <summary>The penalised cosine of every entry (used where the entry is the true class).</summary>
    protected virtual Tensor TargetLogit(Tensor cos)
    {
        var theta = cos.acos();
        var penalised = (theta * M1 + M2).cos() - M3;
        var fallback = cos - M3 - Math.Sin(Math.PI - M2) * M2;
        return where(theta * M1 + M2 <= Math.PI, penalised, fallback);
    }
}

/// <summary>
/// ArcFace (Deng et al., 2019): cos(θ + m) for the true class, written as cos θ·cos m − sin θ·sin m as in the
/// paper's code; where θ + m > π (cos θ below cos(π − m)) the logit is cos θ − sin(π − m)·m instead, so it
/// keeps decreasing with θ. <c>easyMargin</c> applies the margin only where cos θ > 0.
/// </summary>
public sealed class ArcFaceHead(int dimension, int classes, double scale = 64, double margin = 0.5, bool easyMargin = false)
    : CombinedMarginHead(dimension, classes, scale, 1, margin, 0, nameof(ArcFaceHead))
{
    protected override Tensor TargetLogit(Tensor cos)
    {
        double m = M2;
        var sin = (1 - cos * cos).clamp(0, 1).sqrt();
        var phi = cos * Math.Cos(m) - sin * Math.Sin(m);
        return easyMargin
            ? where(cos > 0, phi, cos)
            : where(cos > Math.Cos(Math.PI - m), phi, cos - Math.Sin(Math.PI - m) * m);
    }
}

/// <summary>CosFace / large-margin cosine loss (Wang et al., 2018): s·(cos θ − m) for the true class.</summary>
public sealed class CosFaceHead(int dimension, int classes, double scale = 64, double margin = 0.35)
    : CombinedMarginHead(dimension, classes, scale, 1, 0, margin, nameof(CosFaceHead))
{
    protected override Tensor TargetLogit(Tensor cos) => cos - M3;
}
