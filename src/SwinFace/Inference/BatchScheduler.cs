using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using SwinFace.Analysis;
using SwinFace.Imaging;

namespace SwinFace.Inference;

/// <summary>
/// Runs the faces of concurrent calls through the model together, in batches of up to a maximum size.
/// </summary>
/// <remarks>
/// On a CPU the model is several times faster per face in batches than one face at a time, and
/// ONNX Runtime already uses every core for one batch. So concurrent callers do not run the model side by
/// side: their faces queue, and one caller at a time (the leader) runs batches drawn from the queue
/// in arrival order. When the leader's own faces are done it hands the lead to the next waiting caller and
/// returns. No thread is started; a lone caller runs its own faces directly.
/// </remarks>
internal sealed class BatchScheduler(ModelRunner runner, float[][] tables, int maxBatch, int maxQueuedFaces = int.MaxValue)
{
    private const int Pixels = FacePixels.Size * FacePixels.Size * 3;
    private readonly object _gate = new();
    private readonly LinkedList<Request> _queue = new();
    private bool _leading;
    private int _batches;
    private int _queuedFaces;
    private double _secondsPerFace;

    /// <summary>Gets the number of model runs so far; for tests and diagnostics.</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>Gets the number of faces waiting for a model run.</summary>
    public int QueuedFaces => Volatile.Read(ref _queuedFaces);

    /// <summary>Analyses <paramref name="count"/> faces, supplied one at a time by <paramref name="copyFace"/>.</summary>
    /// <param name="count">The number of faces.</param>
    /// <param name="tasks">The tasks to decode for these faces.</param>
    /// <param name="copyFace">Writes face i as 112 x 112 RGB bytes; called on whichever thread leads.</param>
    public FaceAnalysis[] Run(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace)
    {
        if (count == 0)
        {
            return [];
        }

        Request request = Enqueue(count, tasks, copyFace);
        if (!request.Leads)
        {
            request.Wake.Task.Wait();
        }

        return Finish(request);
    }

    /// <summary>
    /// Analyses <paramref name="count"/> faces as <see cref="Run"/> does, but waits for other callers' batches
    /// without blocking a thread. A cancelled call's faces leave the queue; faces already in a running batch
    /// finish there, and their results are dropped.
    /// </summary>
    public async Task<FaceAnalysis[]> RunAsync(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (count == 0)
        {
            return [];
        }

        Request request = Enqueue(count, tasks, copyFace);
        if (!request.Leads)
        {
            using (cancellationToken.Register(() => Cancel(request, cancellationToken)))
            {
                await request.Wake.Task.ConfigureAwait(false);
            }
        }

        return Finish(request);
    }

    /// <summary>
    /// Refuses a photo before it is decoded when the queue is already full, counting each photo that waits to be
    /// decoded ahead of it as one face: a flood is turned away at the door, before any work is spent on it.
    /// </summary>
    /// <param name="photosAhead">The photos waiting to be decoded, or being decoded, ahead of this one.</param>
    public void AdmitPhoto(int photosAhead)
    {
        int queued = Volatile.Read(ref _queuedFaces);
        if (queued + photosAhead > 0 && (long)queued + photosAhead + 1 > maxQueuedFaces)
        {
            throw Refuse($"a photo ({photosAhead} more photos wait to be decoded)");
        }
    }

    private SwinFaceBusyException Refuse(string what)
    {
        int queued = Volatile.Read(ref _queuedFaces);
        SwinFaceMetrics.Rejected.Add(1);
        double seconds = Math.Max(queued, 1) * Volatile.Read(ref _secondsPerFace);
        return new SwinFaceBusyException(
            $"The analyzer's queue holds {queued} faces and takes at most {maxQueuedFaces} (FaceAnalyzerOptions.MaxQueuedFaces); {what} were refused. Try again later.",
            TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(seconds))));
    }

    private Request Enqueue(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace)
    {
        var request = new Request(count, tasks, copyFace);
        lock (_gate)
        {
            if (_queuedFaces > 0 && (long)_queuedFaces + count > maxQueuedFaces)
            {
                // A lone request larger than the bound still runs when the queue is empty, so that it cannot be refused forever.
                throw Refuse($"{count} more faces");
            }

            _queue.AddLast(request);
            AddQueued(count);
            request.Leads = !_leading;
            _leading = true;
        }

        return request;
    }

    /// <summary>Leads if this caller was made leader (at once or by a handover), then returns its results or throws its error.</summary>
    private FaceAnalysis[] Finish(Request request)
    {
        if (request.Leads)
        {
            // A leader whose own request was completed meanwhile (cancelled) still hands the lead on.
            Lead(request);
        }

        request.Error?.Throw();
        return request.Results;
    }

    /// <summary>Takes a cancelled request's waiting faces out of the queue, and completes it unless a batch holds some of its faces.</summary>
    private void Cancel(Request request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (request.Completed || request.Leads)
            {
                return;
            }

            request.Error ??= ExceptionDispatchInfo.Capture(new OperationCanceledException("The analysis was cancelled; its faces left the queue.", cancellationToken));
            _queue.Remove(request);
            AddQueued(-(request.Count - request.Assigned));
            int inFlight = request.Assigned - request.Finished;
            request.Assigned = request.Count;
            if (inFlight == 0)
            {
                Complete(request, own: null);
            }
        }
    }

    private void AddQueued(int faces)
    {
        _queuedFaces += faces;
        SwinFaceMetrics.QueuedFaces.Add(faces);
    }

    private void Lead(Request own)
    {
        float[] input = ArrayPool<float>.Shared.Rent(maxBatch * Pixels);
        byte[] rgb = ArrayPool<byte>.Shared.Rent(FacePixels.Bytes);
        var parts = new List<Part>();
        try
        {
            while (true)
            {
                parts.Clear();
                if (!own.Completed)
                {
                    // Only this thread completes its own request, so the read needs no lock.
                    GatherArrivals();
                }

                lock (_gate)
                {
                    if (own.Completed)
                    {
                        // Hand over: the next waiting caller leads, or nobody does until a call arrives.
                        if (_queue.First is { } next)
                        {
                            next.Value.Leads = true;
                            next.Value.Wake.TrySetResult();
                        }
                        else
                        {
                            _leading = false;
                        }

                        return;
                    }

                    Take(parts);
                }

                int faces = Fill(parts, input, rgb);
                FaceTasks union = parts.Where(p => p.Request.Error is null).Aggregate(FaceTasks.None, (t, p) => t | p.Request.Tasks);
                if (faces > 0)
                {
                    long start = Stopwatch.GetTimestamp();
                    RunBatch(parts, input, faces, union);
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    SwinFaceMetrics.Batch(faces, seconds);

                    // A smoothed cost per face, for the wait that a refused caller is told to expect.
                    double previous = Volatile.Read(ref _secondsPerFace);
                    Volatile.Write(ref _secondsPerFace, previous == 0 ? seconds / faces : (0.8 * previous) + (0.2 * seconds / faces));
                }

                lock (_gate)
                {
                    foreach (Part p in parts)
                    {
                        p.Request.Finished += p.Count;
                        if (p.Request.Finished == p.Request.Count || p.Request.Error is not null)
                        {
                            Complete(p.Request, own);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(rgb);
        }
    }

    /// <summary>
    /// Lets callers that arrive together share a batch. While the queue holds fewer than <c>maxBatch</c>
    /// faces and it still grew within the last 50 microseconds, the leader yields the processor, for at most
    /// 1 ms in all. A lone caller waits 50 microseconds, against tens of milliseconds for a model run.
    /// </summary>
    private void GatherArrivals()
    {
        long quiet = Stopwatch.Frequency / 20_000;
        long now = Stopwatch.GetTimestamp();
        long deadline = now + (Stopwatch.Frequency / 1000);
        long quietUntil = now + quiet;
        int queued = Volatile.Read(ref _queuedFaces);
        while (queued < maxBatch && now < quietUntil && now < deadline)
        {
            Thread.Yield();
            now = Stopwatch.GetTimestamp();
            int seen = Volatile.Read(ref _queuedFaces);
            if (seen != queued)
            {
                queued = seen;
                quietUntil = now + quiet;
            }
        }
    }

    /// <summary>Takes up to <c>maxBatch</c> faces from the head of the queue. Called under the lock.</summary>
    private void Take(List<Part> parts)
    {
        int room = maxBatch;
        for (LinkedListNode<Request>? node = _queue.First; node is not null && room > 0;)
        {
            Request r = node.Value;
            LinkedListNode<Request>? following = node.Next;
            int n = Math.Min(room, r.Count - r.Assigned);
            parts.Add(new Part(r, r.Assigned, n));
            r.Assigned += n;
            room -= n;
            AddQueued(-n);
            if (r.Assigned == r.Count)
            {
                // Fully assigned: nothing more to take from it, and it must not be woken to lead.
                _queue.Remove(node);
            }

            node = following;
        }
    }

    /// <summary>Writes each part's faces into the batch; a request whose faces cannot be read fails alone.</summary>
    private int Fill(List<Part> parts, float[] input, byte[] rgb)
    {
        int k = 0;
        for (int j = 0; j < parts.Count; j++)
        {
            Part p = parts[j];
            int start = k;
            try
            {
                for (int i = 0; i < p.Count; i++, k++)
                {
                    p.Request.CopyFace(p.Start + i, rgb);
                    FacePixels.ToPlanar(rgb, tables, input.AsSpan(k * Pixels, Pixels));
                }

                parts[j] = p with { Offset = start };
            }
            catch (Exception e)
            {
                p.Request.Error ??= ExceptionDispatchInfo.Capture(e);
                k = start;
                parts[j] = p with { Offset = -1 };
            }
        }

        return k;
    }

    private void RunBatch(List<Part> parts, float[] input, int faces, FaceTasks union)
    {
        try
        {
            Interlocked.Increment(ref _batches);
            using RawOutputs raw = runner.Run(input.AsMemory(0, faces * Pixels), faces, union);
            foreach (Part p in parts.Where(p => p.Offset >= 0))
            {
                for (int i = 0; i < p.Count; i++)
                {
                    p.Request.Results[p.Start + i] = FaceDecoder.Decode(raw, p.Offset + i, p.Request.Tasks);
                }
            }
        }
        catch (Exception e)
        {
            var error = ExceptionDispatchInfo.Capture(e);
            foreach (Part p in parts)
            {
                p.Request.Error ??= error;
            }
        }
    }

    /// <summary>Marks a request done and wakes its caller, unless that caller is the leader. Called under the lock.</summary>
    private void Complete(Request r, Request? own)
    {
        if (r.Completed)
        {
            return;
        }

        r.Completed = true;
        _queue.Remove(r);
        AddQueued(-(r.Count - r.Assigned)); // a failed request's faces that were never taken
        r.Assigned = r.Count;
        if (r != own)
        {
            r.Wake.TrySetResult();
        }
    }

    private sealed class Request(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace)
    {
        public int Count { get; } = count;

        public FaceTasks Tasks { get; } = tasks;

        public Action<int, Span<byte>> CopyFace { get; } = copyFace;

        public FaceAnalysis[] Results { get; } = new FaceAnalysis[count];

        /// <summary>Completed when the request is done, or when it is handed the lead (then <see cref="Leads"/> is set first).</summary>
        public TaskCompletionSource Wake { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets or sets whether this request's caller leads; set under the lock, before <see cref="Wake"/>.</summary>
        public bool Leads { get; set; }

        public int Assigned { get; set; }

        public int Finished { get; set; }

        public bool Completed { get; set; }

        public ExceptionDispatchInfo? Error { get; set; }
    }

    /// <summary>Faces <c>Start</c> to <c>Start + Count - 1</c> of a request, at <c>Offset</c> in the batch.</summary>
    private readonly record struct Part(Request Request, int Start, int Count, int Offset = 0);
}
