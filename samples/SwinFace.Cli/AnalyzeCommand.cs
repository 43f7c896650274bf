using System.CommandLine;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Imaging;

namespace SwinFace.Cli;

/// <summary>The <c>analyze</c> command: finds and analyses faces in photos (or aligned crops) and prints a table or JSON.</summary>
internal static class AnalyzeCommand
{
    private const int InputError = 2;

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".tga", ".pbm",
    };

    private static readonly Option<bool> Aligned = new("--aligned")
    {
        Description = "The images are already aligned 112x112 face crops (ArcFace template): one face each, no detection.",
    };

    private static readonly Option<string> Model = new("--model")
    {
        Description = "Path of a .swinface model file, or of the authors' checkpoint (converted while it loads).",
        Required = true,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON document instead of a table.",
    };

    private static readonly Option<string?> SaveCrops = new("--save-crops")
    {
        Description = "Write each detected face's aligned 112x112 crop as a PNG into this folder.",
    };

    private static readonly Option<string?> Report = new("--report")
    {
        Description = "Also write a self-contained HTML report (photos with numbered face boxes, one card per face) to this file.",
    };

    private static readonly Option<int> Threads = CreateThreadsOption();

    private static readonly Option<string> Detector = FaceInputs.DetectorOption();

    private static readonly Argument<string[]> Images = new("images")
    {
        Description = "Image files, or folders whose image files are all analyzed.",
        Arity = ArgumentArity.OneOrMore,
    };

    public static Command Create()
    {
        var command = new Command("analyze", "Find faces and analyze them: identity embedding, age, gender, expression and 40 CelebA attributes.");
        command.Options.Add(Aligned);
        command.Options.Add(Model);
        command.Options.Add(Json);
        command.Options.Add(SaveCrops);
        command.Options.Add(Report);
        command.Options.Add(Threads);
        command.Options.Add(Detector);
        command.Arguments.Add(Images);
        command.SetAction(Run);
        return command;
    }

    private static Option<int> CreateThreadsOption()
    {
        var option = new Option<int>("--threads")
        {
            Description = "ONNX Runtime threads per model run; 0 lets ONNX Runtime choose.",
            DefaultValueFactory = _ => 0,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--threads must be 0 or more.");
            }
        });
        return option;
    }

    private static int Run(ParseResult parseResult)
    {
        bool aligned = parseResult.GetValue(Aligned);
        string? cropDir = parseResult.GetValue(SaveCrops);
        string? report = parseResult.GetValue(Report);
        if (aligned && cropDir is not null)
        {
            return Cli.Fail(InputError, "--save-crops needs photos; with --aligned the inputs are the crops already.");
        }

        try
        {
            List<string> files = ResolveImages(parseResult.GetValue(Images)!);
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(parseResult.GetValue(Model)!, new FaceAnalyzerOptions
            {
                IntraOpThreads = parseResult.GetValue(Threads),
                BlazeFace = FaceInputs.BlazeFaceIf(parseResult.GetValue(Detector)!, parseResult.GetValue(Threads)),

                // A person reads the output: a damaged photo is analysed as far as it decoded, and flagged in every output.
                AnalyzeDamagedPhotos = true,
            });
            Cli.WarnIfUntrained(analyzer);
            if (cropDir is not null)
            {
                Directory.CreateDirectory(cropDir);
            }

            List<ImageResult> results = aligned
                ? AnalyzeAligned(analyzer, files, report is not null)
                : Progress.Run(files.Count, !parseResult.GetValue(Json), advance => AnalyzePhotos(analyzer, files, cropDir, report is not null, advance));
            if (parseResult.GetValue(Json))
            {
                JsonReport.Write(analyzer, results);
            }
            else
            {
                Console.WriteLine($"model {analyzer.ModelName} {analyzer.ModelVersion}, {Cli.Precision(analyzer)}");
                TableReport.Write(results);
            }

            if (report is not null)
            {
                HtmlReport.Write(report, analyzer.ModelName, analyzer.ModelVersion, analyzer.ModelSource, Cli.Precision(analyzer), results, aligned);
                Console.Error.WriteLine($"report: {report}");
            }

            foreach (ImageResult damaged in results.Where(r => r.Damage is not null))
            {
                Console.Error.WriteLine($"warning: {damaged.File}: damaged: {damaged.Damage!.Message}");
            }

            foreach (ImageResult failed in results.Where(r => r.Error is not null))
            {
                Cli.Fail(InputError, failed.Error!);
            }

            return results.Any(r => r.Error is not null) ? InputError : 0;
        }
        catch (Exception e) when (e is SwinFaceModelException or IOException or UnauthorizedAccessException)
        {
            // Missing files (FileNotFoundException is an IOException), a file that is not a model, unreadable files.
            return Cli.Fail(InputError, e.Message);
        }
    }

    private static List<ImageResult> AnalyzePhotos(FaceAnalyzer analyzer, List<string> files, string? cropDir, bool keepCrops, Action advance)
    {
        var results = new List<ImageResult>(files.Count);

        // The faces of consecutive photos share model batches.
        foreach (PhotoResult photo in analyzer.AnalyzePhotos(files, FaceTasks.All, includeAlignedFaces: cropDir is not null || keepCrops))
        {
            advance();
            if (photo.Analysis is null)
            {
                results.Add(ImageResult.Failed(photo.Path, photo.Error!.Message));
                continue;
            }

            var faces = new List<FaceResult>(photo.Analysis.Faces.Count);
            for (int k = 0; k < photo.Analysis.Faces.Count; k++)
            {
                PhotoFace face = photo.Analysis.Faces[k];
                string? crop = null;
                byte[]? png = null;
                if (cropDir is not null || keepCrops)
                {
                    using Image<Rgb24> image = face.ToAlignedImage()!;
                    if (cropDir is not null)
                    {
                        crop = Path.Combine(cropDir, $"{Path.GetFileNameWithoutExtension(photo.Path)}_face{k}.png");
                        image.SaveAsPng(crop);
                    }

                    png = keepCrops ? HtmlReport.ToCropPng(image) : null;
                }

                faces.Add(new FaceResult(face.Analysis, face.Detection, face.SourceSize, crop, png));
            }

            results.Add(new ImageResult(photo.Path, photo.Analysis.Width, photo.Analysis.Height, faces, null, photo.Analysis.Damage, photo.Analysis));
        }

        return results;
    }

    private static List<ImageResult> AnalyzeAligned(FaceAnalyzer analyzer, List<string> files, bool keepCrops)
    {
        var images = new List<Image<Rgb24>>(files.Count);
        var loaded = new List<int>();
        var results = new ImageResult?[files.Count];
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                try
                {
                    // The library's reader decodes JPEG as OpenCV does (with libjpeg-turbo installed),
                    // so crops give the same outputs as the authors' code.
                    images.Add(ImageFile.Load(files[i]));
                    loaded.Add(i);
                }
                catch (SwinFaceImageException e)
                {
                    results[i] = ImageResult.Failed(files[i], e.Message);
                }
            }

            // All readable crops go through the model as one batch.
            IReadOnlyList<FaceAnalysis> faces = analyzer.Analyze(images, FaceTasks.All);
            for (int j = 0; j < loaded.Count; j++)
            {
                int i = loaded[j];
                results[i] = new ImageResult(files[i], images[j].Width, images[j].Height, [new FaceResult(faces[j], null, null, null, keepCrops ? HtmlReport.ToCropPng(images[j]) : null)], null);
            }
        }
        finally
        {
            images.ForEach(image => image.Dispose());
        }

        return [.. results.Select(r => r!)];
    }

    /// <summary>The image files of the inputs: files as they are, folders by their image files in name order.</summary>
    internal static List<string> ResolveImages(string[] inputs)
    {
        var files = new List<string>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                int before = files.Count;
                files.AddRange(Directory.EnumerateFiles(input)
                    .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal));
                if (files.Count == before)
                {
                    throw new FileNotFoundException($"no image files in folder: {input}");
                }
            }
            else if (File.Exists(input))
            {
                files.Add(input);
            }
            else
            {
                throw new FileNotFoundException($"image file not found: {input}", input);
            }
        }

        return files;
    }
}
