using ScottPlot;

namespace FaceMesh.Evaluation;

/// <summary>Pictures of results, written as PNG: ROC curves on a logarithmic FAR axis, precision-recall curves, training curves.</summary>
public static class Plots
{
    private const string FontName = "FaceMesh Sans";

    private static readonly Lazy<bool> FontRegistered = new(() =>
    {
        if (FaceMesh.Imaging.SystemFonts.SansFile is not { } file)
            return false;
        Fonts.AddFontFile(FontName, file);
        return true;
    });

    private static Plot NewPlot()
    {
        var plot = new Plot();
        if (FontRegistered.Value)
            plot.Font.Set(FontName);
        return plot;
    }

    public static void Roc(string path, IEnumerable<(string Label, RocCurve Curve)> curves, string title)
    {
        var plot = NewPlot();
        foreach (var (label, curve) in curves)
        {
            var points = curve.Points().Where(p => p.Far > 0).ToArray();
            var line = plot.Add.ScatterLine(points.Select(p => Math.Log10(p.Far)).ToArray(), points.Select(p => p.Tar).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => $"1e{x:0}",
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsY(0, 1.01);
        plot.Title(title);
        plot.XLabel("False accept rate (log)");
        plot.YLabel("True accept rate");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 800, 600);
    }

    /// <summary>
    /// DET curves (ISO/IEC 19795-1): false non-match rate against false match rate, both on log axes, so the low-error
    /// corner where a deployment operates is spread out rather than squeezed against the ROC's top edge.
    /// </summary>
    public static void Det(string path, IEnumerable<(string Label, RocCurve Curve)> curves, string title,
                           string xLabel = "False match rate (log)", string yLabel = "False non-match rate (log)")
    {
        var plot = NewPlot();
        foreach (var (label, curve) in curves)
        {
            var points = curve.Points().Where(p => p.Far > 0 && p.Tar < 1).ToArray();
            var line = plot.Add.ScatterLine(points.Select(p => Math.Log10(p.Far)).ToArray(), points.Select(p => Math.Log10(1 - p.Tar)).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
        }
        foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = x => $"1e{x:0}",
            };
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 800, 600);
    }

    public static void PrecisionRecall(string path, IEnumerable<(string Label, double[] Recall, double[] Precision)> curves, string title)
    {
        var plot = NewPlot();
        foreach (var (label, recall, precision) in curves)
        {
            if (recall.Length == 0)
                continue;
            var line = plot.Add.ScatterLine(recall, precision);
            line.LegendText = label;
            line.LineWidth = 2;
        }
        plot.Axes.SetLimits(0, 1, 0, 1.01);
        plot.Title(title);
        plot.XLabel("Recall");
        plot.YLabel("Precision");
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, 800, 600);
    }

    /// <summary>Several runs' values of one quantity per epoch (or any x), one line each.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IEnumerable<(string Label, double[] X, double[] Y)> lines,
        double? yMin = null, double? yMax = null)
    {
        var plot = NewPlot();
        foreach (var (label, x, y) in lines)
        {
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = label;
            line.LineWidth = 2;
        }
        if (yMin is { } min && yMax is { } max)
            plot.Axes.SetLimitsY(min, max);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 800, 600);
    }

    /// <summary>Training curves: loss (left axis) and accuracies (right axis, 0 to 1) per epoch.</summary>
    public static void TrainingCurves(string path, string title, IReadOnlyList<double> epochs, IReadOnlyList<double> loss,
        IEnumerable<(string Label, IReadOnlyList<double> Values)> accuracies)
    {
        var plot = NewPlot();
        var lossLine = plot.Add.ScatterLine(epochs.ToArray(), loss.ToArray());
        lossLine.LegendText = "training loss";
        lossLine.LineWidth = 2;
        var right = plot.Axes.Right;
        foreach (var (label, values) in accuracies)
        {
            var line = plot.Add.ScatterLine(epochs.Take(values.Count).ToArray(), values.ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
            line.Axes.YAxis = right;
        }
        right.Min = 0;
        right.Max = 1;
        right.Label.Text = "accuracy";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 800, 600);
    }
}
