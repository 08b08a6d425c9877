using FaceMesh.ModelPacks;
using Microsoft.ML.OnnxRuntime;

namespace FaceMesh.Pipeline.Runtime;

/// <summary>
/// One ONNX Runtime session on one model file, with the execution provider chosen by configuration:
/// CUDA when asked for and usable, else the CPU (with one log line saying why).
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    /// <summary>
    /// ONNX Runtime's own log is kept to fatal errors: a failure it reports (a CUDA library that cannot
    /// load) reaches the operator once, as our log line, not also as a native one.
    /// </summary>
    static OnnxModel()
    {
        var environment = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, logId = "facemesh" };
        try
        {
            OrtEnv.CreateInstanceWithOptions(ref environment);
        }
        catch (Exception)
        {
            // The process made its ONNX Runtime environment already (another library did): keep it.
            // Only the native log level is lost, never the ability to load models.
        }
    }
    private readonly string _path;

    public OnnxModel(string path, InferenceOptions options, Action<string>? log = null)
    {
        if (!File.Exists(path))
            throw new ModelFileException($"The model file '{path}' is missing. Run 'tools/facemesh models fetch' to fetch the model packs.");
        _path = path;
        (_session, Provider) = OpenSession(path, options, log);
        InputName = _session.InputNames[0];
        InputShape = _session.InputMetadata[InputName].Dimensions;
    }

    private static (InferenceSession Session, ExecutionProvider Provider) OpenSession(string path, InferenceOptions options, Action<string>? log)
    {
        if (options.Provider == ExecutionProvider.Cuda)
        {
            // The CUDA provider loads its libraries (CUDA, cuDNN) only when a session is made: both steps can fail.
            try
            {
                using var cuda = NewSessionOptions(options);
                cuda.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                return (new InferenceSession(path, cuda), ExecutionProvider.Cuda);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                log?.Invoke($"CUDA execution provider is not usable ({e.Message.Split('\n')[0].Trim()}); running {System.IO.Path.GetFileName(path)} on the CPU.");
            }
        }
        try
        {
            using var cpu = NewSessionOptions(options);
            return (new InferenceSession(path, cpu), ExecutionProvider.Cpu);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelFileException($"The model file '{path}' could not be loaded by ONNX Runtime: {e.Message}");
        }
    }

    private static SessionOptions NewSessionOptions(InferenceOptions options)
    {
        var session = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        // The pipeline runs several sessions one after another (detector, landmarks, embedder), each with
        // its own intra-op threads; threads that spin after their run steal the cores from the next model.
        session.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        return session;
    }

    public ExecutionProvider Provider { get; }
    public string InputName { get; }
    /// <summary>The declared input shape; -1 marks a dynamic dimension.</summary>
    public int[] InputShape { get; }
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs the model on one float input; returns every output, flattened, by name.</summary>
    public Dictionary<string, float[]> Run(float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [InputName], [value], _session.OutputNames);
        var result = new Dictionary<string, float[]>(outputs.Count);
        for (int i = 0; i < outputs.Count; i++)
            result[_session.OutputNames[i]] = outputs[i].GetTensorDataAsSpan<float>().ToArray();
        return result;
    }

    public override string ToString() => $"{System.IO.Path.GetFileName(_path)} on {Provider}";

    public void Dispose() => _session.Dispose();
}
