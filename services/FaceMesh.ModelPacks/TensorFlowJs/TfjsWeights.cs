using System.Buffers.Binary;
using System.Text.Json;

namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// Reads the weights of a TensorFlow.js model: a weights manifest (groups of weight entries, each group
/// stored in its shard files one after another) and the binary shards beside it. Float16 and affine
/// uint8/uint16 quantisation (<c>value = q·scale + min</c>) are expanded to float32. A shard whose size
/// differs from what its entries need is refused, naming the file.
/// </summary>
public static class TfjsWeights
{
    public static Dictionary<string, TfTensor> Read(JsonElement manifest, string directory, string source)
    {
        var weights = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
        foreach (var group in manifest.EnumerateArray())
        {
            var paths = group.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToArray();
            var entries = group.GetProperty("weights").EnumerateArray().Select(Entry.From).ToArray();
            long expected = entries.Sum(e => e.ByteCount);
            var bytes = ReadShards(directory, paths, expected, source);
            long offset = 0;
            foreach (var entry in entries)
            {
                weights[entry.Name] = entry.Decode(bytes.AsSpan((int)offset, (int)entry.ByteCount));
                offset += entry.ByteCount;
            }
        }
        return weights;
    }

    private static byte[] ReadShards(string directory, string[] paths, long expected, string source)
    {
        var files = paths.Select(p => Path.Combine(directory, p)).ToArray();
        foreach (var file in files)
            if (!File.Exists(file))
                throw new ModelFileException($"{source}: the weight shard '{file}' is missing.");
        long actual = files.Sum(f => new FileInfo(f).Length);
        if (actual != expected)
            throw new ModelFileException(
                $"{source}: the weight shard{(files.Length > 1 ? "s" : "")} {string.Join(", ", files.Select(f => $"'{f}'"))} hold{(files.Length > 1 ? "" : "s")} {actual} bytes; " +
                $"the manifest's weights need {expected}. The file is truncated or belongs to another model: fetch the package again.");
        var buffer = new byte[actual];
        int at = 0;
        foreach (var file in files)
        {
            var part = File.ReadAllBytes(file);
            part.CopyTo(buffer, at);
            at += part.Length;
        }
        return buffer;
    }

    private sealed record Entry(string Name, int[] Shape, string DataType, string? Quantization, float Scale, float Min)
    {
        public static Entry From(JsonElement e)
        {
            string? q = null;
            float scale = 1, min = 0;
            if (e.TryGetProperty("quantization", out var quant))
            {
                q = quant.GetProperty("dtype").GetString();
                if (quant.TryGetProperty("scale", out var s))
                    scale = s.GetSingle();
                if (quant.TryGetProperty("min", out var m))
                    min = m.GetSingle();
            }
            return new Entry(e.GetProperty("name").GetString()!,
                e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                e.GetProperty("dtype").GetString()!, q, scale, min);
        }

        private int Count => TfTensor.CountOf(Shape);

        public long ByteCount => (long)Count * (Quantization ?? DataType) switch
        {
            "float32" or "int32" => 4,
            "float16" or "uint16" => 2,
            "uint8" or "bool" => 1,
            var other => throw new ModelFileException($"The weight '{Name}' has the storage type '{other}', which FaceMesh cannot read."),
        };

        public TfTensor Decode(ReadOnlySpan<byte> bytes)
        {
            int n = Count;
            if (DataType == "int32")
            {
                if (Quantization is not null)
                    throw new ModelFileException($"The int32 weight '{Name}' is quantised ({Quantization}); FaceMesh reads only float weights quantised.");
                var ints = new int[n];
                for (int i = 0; i < n; i++)
                    ints[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                return TfTensor.Int(Shape, ints);
            }
            if (DataType != "float32")
                throw new ModelFileException($"The weight '{Name}' has the type '{DataType}'; FaceMesh reads float32 and int32 weights.");
            var values = new float[n];
            switch (Quantization)
            {
                case null:
                    for (int i = 0; i < n; i++)
                        values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                    break;
                case "float16":
                    for (int i = 0; i < n; i++)
                        values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                    break;
                case "uint8":
                    for (int i = 0; i < n; i++)
                        values[i] = bytes[i] * Scale + Min;
                    break;
                case "uint16":
                    for (int i = 0; i < n; i++)
                        values[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) * Scale + Min;
                    break;
                default:
                    throw new ModelFileException($"The weight '{Name}' is quantised as '{Quantization}', which FaceMesh cannot expand.");
            }
            return TfTensor.Float(Shape, values);
        }
    }
}
