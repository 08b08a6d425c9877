using System.Buffers.Binary;
using Google.Protobuf;

namespace FaceMesh.ModelPacks.Onnx;

/// <summary>
/// Makes an ONNX model that was exported with a batch of one accept any batch size: the batch
/// dimension of every graph input and output becomes the symbol <c>batch</c>, inferred shapes are
/// dropped (the runtime infers them again), and every Reshape whose target shape pins the batch to 1
/// (<c>[1, -1]</c> after the pooling of a CNN) is changed to copy it from its input (<c>[0, -1]</c>;
/// ONNX Reshape: "0 means the dimension is unchanged").
/// </summary>
public static class BatchDimension
{
    public const string Symbol = "batch";

    public static ModelProto MakeDynamic(ModelProto model)
    {
        var graph = model.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var value in graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Concat(graph.Output))
        {
            var shape = value.Type?.TensorType?.Shape;
            if (shape is null || shape.Dim.Count == 0)
                throw new InvalidDataException($"The ONNX graph value '{value.Name}' has no tensor shape to make dynamic.");
            shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = Symbol };
        }
        graph.ValueInfo.Clear();

        var constants = graph.Node.Where(n => n.OpType == "Constant")
            .ToDictionary(n => n.Output[0], n => n.Attribute.First(a => a.Name == "value").T);
        int changed = 0;
        foreach (var reshape in graph.Node.Where(n => n.OpType == "Reshape"))
        {
            var target = initializers.GetValueOrDefault(reshape.Input[1]) ?? constants.GetValueOrDefault(reshape.Input[1]);
            if (target is null)
                continue; // a computed shape follows the batch already
            var dims = ReadInt64(target);
            if (dims.Length > 0 && dims[0] == 1)
            {
                dims[0] = 0;
                WriteInt64(target, dims);
                changed++;
            }
        }
        model.MetadataProps.Add(new StringStringEntryProto
        {
            Key = "facemesh.batch",
            Value = $"dynamic batch dimension; {changed} Reshape shape(s) changed from a batch of 1 to 0 (copy)",
        });
        return model;
    }

    public static void MakeDynamic(string sourcePath, string targetPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(sourcePath));
        MakeDynamic(model);
        File.WriteAllBytes(targetPath, model.ToByteArray());
    }

    internal static long[] ReadInt64(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Int64)
            throw new InvalidDataException($"The ONNX tensor '{tensor.Name}' is not int64.");
        if (tensor.Int64Data.Count > 0)
            return tensor.Int64Data.ToArray();
        var raw = tensor.RawData.Span;
        var values = new long[raw.Length / 8];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
        return values;
    }

    internal static void WriteInt64(TensorProto tensor, long[] values)
    {
        if (tensor.Int64Data.Count > 0)
        {
            tensor.Int64Data.Clear();
            tensor.Int64Data.Add(values);
            return;
        }
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), values[i]);
        tensor.RawData = ByteString.CopyFrom(raw);
    }
}
