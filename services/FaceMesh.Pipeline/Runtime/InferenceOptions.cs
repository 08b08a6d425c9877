namespace FaceMesh.Pipeline.Runtime;

public sealed record InferenceOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 lets it choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    public int CudaDeviceId { get; init; }

    /// <summary>
    /// Let ONNX Runtime's worker threads spin between runs. Off by default: with several models run in
    /// turn on few cores, spinning threads of one session slow the next (verify of two 250×250 photos on
    /// 2 cores: 50 ms with spinning, 27 ms without).
    /// </summary>
    public bool AllowSpinning { get; init; }

    public static InferenceOptions Default { get; } = new();
}
