using FaceMesh.Training.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Tests;

/// <summary>
/// Each head and loss on inputs small enough to compute by hand: 2-d embeddings and class centres along the
/// axes, so every cosine is 1, 0 or −1 or a known angle; expected values are written out with Math, not
/// with the code under test.
/// </summary>
public sealed class HeadTests
{
    private static Tensor T(float[,] values) => tensor(values);
    private static Tensor Labels(params long[] labels) => tensor(labels);

    /// <summary>−log softmax(z)[label] for one row of logits.</summary>
    private static double CrossEntropy(double[] logits, int label) =>
        -logits[label] + Math.Log(logits.Sum(Math.Exp));

    private static void SetCentres(CombinedMarginHead head, float[,] centres)
    {
        using var _ = no_grad();
        head.Centres.copy_(T(centres));
    }

    [Fact]
    public void Softmax_is_a_linear_layer_and_cross_entropy()
    {
        var head = new SoftmaxHead(2, 3);
        using (no_grad())
        {
            head.Classifier.weight!.copy_(T(new float[,] { { 1, 0 }, { 0, 1 }, { -1, -1 } }));
            head.Classifier.bias!.copy_(tensor(new float[] { 0, 0.5f, 0 }));
        }
        var loss = head.Loss(T(new float[,] { { 2, 1 } }), Labels(0)).item<float>();
        // logits: [2, 1.5, -3]
        Assert.Equal(CrossEntropy([2, 1.5, -3], 0), loss, 5);
    }

    [Fact]
    public void CosFace_subtracts_the_margin_from_the_true_cosine_only()
    {
        var head = new CosFaceHead(2, 2, scale: 10, margin: 0.35);
        SetCentres(head, new float[,] { { 3, 0 }, { 0, 2 } }); // normalised to the axes
        var embedding = T(new float[,] { { 1, 1 } });            // 45°: cos = √½ to both
        double c = Math.Sqrt(0.5);
        var logits = head.forward(embedding, Labels(0)).data<float>().ToArray();
        Assert.Equal(10 * (c - 0.35), logits[0], 4);
        Assert.Equal(10 * c, logits[1], 4);
        Assert.Equal(CrossEntropy([10 * (c - 0.35), 10 * c], 0), head.Loss(embedding, Labels(0)).item<float>(), 4);
    }

    [Fact]
    public void ArcFace_adds_the_margin_to_the_angle()
    {
        var head = new ArcFaceHead(2, 2, scale: 1, margin: 0.5);
        SetCentres(head, new float[,] { { 1, 0 }, { 0, 1 } });
        // 30° from class 0, 60° from class 1.
        var embedding = T(new float[,] { { (float)Math.Cos(Math.PI / 6), (float)Math.Sin(Math.PI / 6) } });
        var logits = head.forward(embedding, Labels(0)).data<float>().ToArray();
        Assert.Equal(Math.Cos(Math.PI / 6 + 0.5), logits[0], 4);
        Assert.Equal(Math.Cos(Math.PI / 3), logits[1], 4);
    }

    [Fact]
    public void ArcFace_beyond_pi_continues_linearly_instead_of_rewarding_a_worse_angle()
    {
        var head = new ArcFaceHead(2, 2, scale: 1, margin: 0.5);
        SetCentres(head, new float[,] { { 1, 0 }, { 0, 1 } });
        // θ = 170° from class 0: θ + m > π, where cos(θ + m) would rise again.
        double theta = 170 * Math.PI / 180;
        var embedding = T(new float[,] { { (float)Math.Cos(theta), (float)Math.Sin(theta) } });
        var logit = head.forward(embedding, Labels(0)).data<float>()[0];
        Assert.Equal(Math.Cos(theta) - Math.Sin(Math.PI - 0.5) * 0.5, logit, 4);
        Assert.True(logit < Math.Cos(theta + 0.5)); // cos(θ + m) would have been the larger, wrong reward
    }

    [Fact]
    public void The_combined_margin_generalises_arcface_and_cosface()
    {
        var embedding = T(new float[,] { { 1, 2 } });
        var centres = new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } };
        double theta = Math.Acos(1 / Math.Sqrt(5)); // to class 0
        var combined = new CombinedMarginHead(2, 3, scale: 2, m1: 1, m2: 0.3, m3: 0.2);
        SetCentres(combined, centres);
        Assert.Equal(2 * (Math.Cos(theta + 0.3) - 0.2), combined.forward(embedding, Labels(0)).data<float>()[0], 4);
        var arc = new ArcFaceHead(2, 3, scale: 2, margin: 0.3);
        var arcAsCombined = new CombinedMarginHead(2, 3, scale: 2, m1: 1, m2: 0.3, m3: 0);
        SetCentres(arc, centres);
        SetCentres(arcAsCombined, centres);
        var a = arc.forward(embedding, Labels(2)).data<float>().ToArray();
        var b = arcAsCombined.forward(embedding, Labels(2)).data<float>().ToArray();
        for (int i = 0; i < 3; i++)
            Assert.Equal(a[i], b[i], 4);
    }

    [Fact]
    public void Batch_hard_triplet_takes_the_farthest_positive_and_the_nearest_negative()
    {
        // Unit vectors at angles 0°, 30° (class A) and 90°, 100° (class B); chord distance 2·sin(Δ/2).
        double[] degrees = [0, 30, 90, 100];
        var x = new float[4, 2];
        for (int i = 0; i < 4; i++)
            (x[i, 0], x[i, 1]) = ((float)Math.Cos(degrees[i] * Math.PI / 180), (float)Math.Sin(degrees[i] * Math.PI / 180));
        double D(double a, double b) => 2 * Math.Sin(Math.Abs(a - b) * Math.PI / 360);
        const double margin = 1.0;
        double expected = new[]
        {
            Math.Max(0, D(0, 30) - D(0, 90) + margin),
            Math.Max(0, D(30, 0) - D(30, 90) + margin),
            Math.Max(0, D(90, 100) - D(90, 30) + margin),
            Math.Max(0, D(100, 90) - D(100, 30) + margin),
        }.Average();
        var loss = TripletLoss.BatchHard(T(x), Labels(0, 0, 1, 1), margin).item<float>();
        Assert.Equal(expected, loss, 4);
    }

    [Fact]
    public void An_anchor_without_a_positive_does_not_count()
    {
        var x = T(new float[,] { { 1, 0 }, { 0, 1 }, { 0.9f, 0.1f } });
        // Only the two class-0 faces have a positive; the lone class-1 face is no anchor.
        var loss = TripletLoss.BatchHard(x, Labels(0, 1, 0), margin: 0.5).item<float>();
        double dPos = Math.Sqrt(Math.Pow(1 - 0.9 / Math.Sqrt(0.82), 2) + Math.Pow(0.1 / Math.Sqrt(0.82), 2));
        double dNeg0 = Math.Sqrt(2);
        double dNeg2 = Math.Sqrt(Math.Pow(0.9 / Math.Sqrt(0.82), 2) + Math.Pow(1 - 0.1 / Math.Sqrt(0.82), 2));
        Assert.Equal((Math.Max(0, dPos - dNeg0 + 0.5) + Math.Max(0, dPos - dNeg2 + 0.5)) / 2, loss, 4);
    }

    [Fact]
    public void The_margin_heads_train_their_centres_towards_the_faces()
    {
        // A gradient step lowers the loss: the heads are differentiable end to end.
        manual_seed(1);
        var head = new ArcFaceHead(4, 3, scale: 16, margin: 0.3);
        var embeddings = randn(12, 4);
        var labels = tensor(Enumerable.Range(0, 12).Select(i => (long)(i % 3)).ToArray());
        var optimizer = optim.SGD(head.parameters(), 0.5);
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            optimizer.zero_grad();
            var loss = head.Loss(embeddings, labels);
            loss.backward();
            optimizer.step();
            if (step == 0)
                first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first * 0.8, $"loss {first:F3} → {last:F3}");
    }
}
