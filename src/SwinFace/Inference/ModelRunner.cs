using System.Buffers;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SwinFace.Analysis;

namespace SwinFace.Inference;

/// <summary>
/// The SwinFace graphs in ONNX Runtime: the backbone and the eleven branches, each its own session, so a
/// call runs only the graphs its tasks need. Safe for concurrent use: sessions are, and all per-call
/// buffers come from the shared array pool.
/// </summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _backbone;
    private readonly InferenceSession[] _branches;
    private readonly string[] _backboneInputs;
    private readonly string[] _backboneOutputs;
    private readonly string[][] _branchInputs;
    private readonly string[][] _branchOutputs;
    private readonly int[][] _branchHeads;
    private readonly int _featuresPerFace;

    /// <summary>
    /// How many faces one backbone run takes by default. The first stages' activations of a few faces stay in cache
    /// where those of 8 do not, but each run adds a wake-up of the threads per operator. On the benchmark
    /// machine, runs of 4 were the fastest overall (BENCHMARKS.md). The branches still run on the whole
    /// batch, which suits their convolutions better.
    /// </summary>
    internal const int DefaultBackboneChunk = 4;

    private readonly int _backboneChunk;

    private ModelRunner(ModelManifest manifest, InferenceSession backbone, InferenceSession[] branches, int backboneChunk)
    {
        Manifest = manifest;
        _backboneChunk = backboneChunk;
        _backbone = backbone;
        _branches = branches;
        _backboneInputs = [manifest.InputName];
        _backboneOutputs = [manifest.EmbeddingOutput, manifest.FeaturesOutput];
        _featuresPerFace = manifest.FeaturesShape[0] * manifest.FeaturesShape[1] * manifest.FeaturesShape[2];
        _branchInputs = manifest.BranchInputs.Select(i => new[] { i }).ToArray();
        _branchHeads = Enumerable.Range(0, ModelHeads.BranchCount)
            .Select(b => Enumerable.Range(0, ModelHeads.All.Length).Where(h => ModelHeads.All[h].Branch == b).ToArray())
            .ToArray();
        _branchOutputs = _branchHeads.Select(hs => hs.Select(h => ModelHeads.All[h].Output).ToArray()).ToArray();
    }

    public ModelManifest Manifest { get; }

    /// <summary>Gets the model's identity (<see cref="IModelGraphs.ModelId"/>).</summary>
    public required string ModelId { get; init; }

    /// <summary>Opens a model file or checkpoint by path; for tests and benchmarks.</summary>
    /// <exception cref="SwinFaceModelException">The file is not a usable SwinFace model.</exception>
    public static ModelRunner Open(string path, SessionOptions options, int backboneChunk = DefaultBackboneChunk)
    {
        using RandomAccessBytes bytes = RandomAccessBytes.Open(path);
        return Open(ModelLoader.Open(bytes, path), options, backboneChunk);
    }

    /// <summary>Creates the sessions of a model's graphs and checks every graph against the manifest.</summary>
    /// <exception cref="SwinFaceModelException">A graph is damaged, or is not what a SwinFace model must be.</exception>
    public static ModelRunner Open(IModelGraphs model, SessionOptions options, int backboneChunk = DefaultBackboneChunk)
    {
        var sessions = new List<InferenceSession>();
        try
        {
            ModelManifest manifest = model.Manifest;
            InferenceSession backbone = CreateSession(model, manifest.BackboneGraph, options);
            sessions.Add(backbone);
            var branches = new InferenceSession[ModelHeads.BranchCount];
            for (int b = 0; b < branches.Length; b++)
            {
                branches[b] = CreateSession(model, manifest.BranchGraphs[b], options);
                sessions.Add(branches[b]);
            }

            var runner = new ModelRunner(manifest, backbone, branches, backboneChunk) { ModelId = model.ModelId };
            runner.Validate(model.Origin);
            return runner;
        }
        catch
        {
            foreach (InferenceSession s in sessions)
            {
                s.Dispose();
            }

            throw;
        }
    }

    /// <summary>Runs a batch of preprocessed faces through the graphs that <paramref name="tasks"/> needs.</summary>
    /// <param name="input">The batch as NCHW floats, <paramref name="count"/> x 3 x 112 x 112.</param>
    /// <param name="count">The number of faces.</param>
    /// <param name="tasks">The tasks whose outputs are wanted.</param>
    /// <returns>The raw outputs; the caller disposes them.</returns>
    public RawOutputs Run(Memory<float> input, int count, FaceTasks tasks)
    {
        var outputs = new RawOutputs(count);
        float[] features = ArrayPool<float>.Shared.Rent(count * _featuresPerFace);
        try
        {
            int[] fs = Manifest.FeaturesShape;
            long[] featuresShape = [count, fs[0], fs[1], fs[2]];
            using var runOptions = new RunOptions();
            RunBackbone(runOptions, input, count, outputs.RentEmbeddings(), features);

            int mask = ModelHeads.BranchMask(tasks);
            using OrtValue featuresInput = Tensor(features, featuresShape);
            for (int b = 0; b < ModelHeads.BranchCount; b++)
            {
                if ((mask & (1 << b)) == 0)
                {
                    continue;
                }

                int[] heads = _branchHeads[b];
                var values = new OrtValue[heads.Length];
                try
                {
                    for (int i = 0; i < heads.Length; i++)
                    {
                        values[i] = Tensor(outputs.RentLogits(heads[i]), [count, ModelHeads.All[heads[i]].Size]);
                    }

                    _branches[b].Run(runOptions, _branchInputs[b], [featuresInput], _branchOutputs[b], values);
                }
                finally
                {
                    foreach (OrtValue? v in values)
                    {
                        v?.Dispose();
                    }
                }
            }

            return outputs;
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
        }
    }

    /// <summary>
    /// Runs the backbone over the batch in chunks of <c>backboneChunk</c> faces, each writing
    /// straight into its slice of the batch's embedding and feature buffers.
    /// </summary>
    private void RunBackbone(RunOptions runOptions, Memory<float> input, int count, float[] embeddings, float[] features)
    {
        const int pixels = 3 * Imaging.FacePixels.Size * Imaging.FacePixels.Size;
        int[] fs = Manifest.FeaturesShape;
        for (int start = 0; start < count; start += _backboneChunk)
        {
            int n = Math.Min(_backboneChunk, count - start);
            using OrtValue image = Tensor(input.Slice(start * pixels), [n, 3, Imaging.FacePixels.Size, Imaging.FacePixels.Size]);
            using OrtValue embedding = Tensor(embeddings.AsMemory(start * ModelHeads.EmbeddingSize), [n, ModelHeads.EmbeddingSize]);
            using OrtValue featuresValue = Tensor(features.AsMemory(start * _featuresPerFace), [n, fs[0], fs[1], fs[2]]);
            _backbone.Run(runOptions, _backboneInputs, [image], _backboneOutputs, [embedding, featuresValue]);
        }
    }

    public void Dispose()
    {
        _backbone.Dispose();
        foreach (InferenceSession s in _branches)
        {
            s.Dispose();
        }
    }

    private static OrtValue Tensor(Memory<float> buffer, long[] shape)
    {
        long length = 1;
        foreach (long d in shape)
        {
            length *= d;
        }

        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer[..(int)length], shape);
    }

    private static InferenceSession CreateSession(IModelGraphs model, string graph, SessionOptions options)
    {
        // ONNX Runtime reads a graph from a file with far less memory than from a managed array (it
        // maps the file, and no 100 MB array lingers on the managed heap), so each graph passes through
        // a temporary file that is deleted as soon as its session exists. The session is created only
        // after WriteGraph has checked the bytes.
        string temp = Path.Combine(Path.GetTempPath(), $"swinface-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                model.WriteGraph(graph, target);
            }

            return new InferenceSession(temp, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SwinFaceModelException($"{model.Origin}: graph '{graph}' is not a valid ONNX model for this runtime ({e.Message}).", e);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string Dims(IEnumerable<int> dims) =>
        "[" + string.Join(", ", dims.Select(d => d < 0 ? "batch" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static void Expect(IReadOnlyDictionary<string, NodeMetadata> nodes, string kind, string graph, string name, int[] shape, string origin)
    {
        if (!nodes.TryGetValue(name, out NodeMetadata? meta))
        {
            throw new SwinFaceModelException($"{origin}: graph '{graph}': expected {kind} '{name}', found {kind}s [{string.Join(", ", nodes.Keys)}].");
        }

        int[] dims = meta.IsTensor ? meta.Dimensions : [];
        bool ok = meta.IsTensor && meta.ElementDataType == TensorElementType.Float && dims.Length == shape.Length + 1 && dims[0] <= 0;
        for (int i = 0; ok && i < shape.Length; i++)
        {
            ok = dims[i + 1] == shape[i];
        }

        if (!ok)
        {
            string found = meta.IsTensor ? $"{meta.ElementDataType} {Dims(dims)}" : meta.OnnxValueType.ToString();
            throw new SwinFaceModelException($"{origin}: graph '{graph}': {kind} '{name}': expected Float {Dims([-1, .. shape])}, found {found}.");
        }
    }

    private void Validate(string origin)
    {
        const int size = Imaging.FacePixels.Size;
        ModelManifest m = Manifest;
        if (_backbone.InputMetadata.Count != 1)
        {
            throw new SwinFaceModelException($"{origin}: graph '{m.BackboneGraph}': expected one input, found [{string.Join(", ", _backbone.InputMetadata.Keys)}].");
        }

        Expect(_backbone.InputMetadata, "input", m.BackboneGraph, m.InputName, [3, size, size], origin);
        Expect(_backbone.OutputMetadata, "output", m.BackboneGraph, m.EmbeddingOutput, [ModelHeads.EmbeddingSize], origin);
        Expect(_backbone.OutputMetadata, "output", m.BackboneGraph, m.FeaturesOutput, m.FeaturesShape, origin);
        for (int b = 0; b < _branches.Length; b++)
        {
            InferenceSession s = _branches[b];
            string graph = m.BranchGraphs[b];
            if (s.InputMetadata.Count != 1)
            {
                throw new SwinFaceModelException($"{origin}: graph '{graph}': expected one input, found [{string.Join(", ", s.InputMetadata.Keys)}].");
            }

            Expect(s.InputMetadata, "input", graph, m.BranchInputs[b], m.FeaturesShape, origin);
            foreach (int h in _branchHeads[b])
            {
                Expect(s.OutputMetadata, "output", graph, ModelHeads.All[h].Output, [ModelHeads.All[h].Size], origin);
            }
        }
    }
}
