# Shared by the Ascend ModelZoo launch-script wrappers in this folder (sourced, not run).
#
# The port's scripts take --data_path=... and its debugging flags, train, then print a summary read from the log.
# These wrappers take the same arguments, call zoo-run on a bundled recipe (the port's flags are zoo-run flags),
# and print the same summary, read from the run's metrics.json. Arguments they do not know go to zoo-run as they
# are (e.g. --set train.steps_per_epoch=10). Extra arguments of their own:
#   --recipe=RECIPE     the recipe, a name (zoo list shows them) or a file (default: densenet_cats_dogs)
#   --output_dir=DIR    where the run goes (default: ./output); the run itself in DIR/$ASCEND_DEVICE_ID/

Network="learnable_resizer_ID2518_for_TensorFlow2.X"
RANK_SIZE=${RANK_SIZE:-1}
ASCEND_DEVICE_ID=${ASCEND_DEVICE_ID:-0}
export ASCEND_DEVICE_ID
PYTHON=${PYTHON:-python3}

usage() {
    echo "usage: bash $0 --data_path=DIR [--precision_mode=MODE] [--over_dump=True] [--data_dump_flag=True]"
    echo "       [--data_dump_step=STEPS] [--profiling=True] [--use_mixlist=True --mixlist_file=F]"
    echo "       [--fusion_off_flag=True --fusion_off_file=F] [--auto_tune=True] [--recipe=RECIPE] [--output_dir=DIR]"
    echo "       [zoo-run arguments...]"
}

parse_port_arguments() {
    recipe="densenet_cats_dogs"
    output_dir="$PWD/output"
    data_path=""
    precision_mode="allow_mix_precision"
    port_flags=()
    passthrough=()
    for para in "$@"; do
        case "$para" in
            --help|--h) usage; exit 1 ;;
            --data_path=*) data_path="${para#*=}" ;;
            --precision_mode=*) precision_mode="${para#*=}" ;;
            --recipe=*) recipe="${para#*=}" ;;
            --output_dir=*) output_dir="${para#*=}" ;;
            --over_dump=*|--data_dump_flag=*|--data_dump_step=*|--profiling=*|--use_mixlist=*|--mixlist_file=*|\
            --fusion_off_flag=*|--fusion_off_file=*|--auto_tune=*) port_flags+=("$para") ;;
            *) passthrough+=("$para") ;;
        esac
    done
    if [[ -z "$data_path" ]]; then
        echo "[Error] para \"data_path\" must be config"
        exit 1
    fi
}

# the folders the port's scripts give its dump and profiling flags
dump_and_profiling_paths() {
    local para
    for para in "${port_flags[@]}"; do
        case "$para" in
            --over_dump=True) mkdir -p "$output_dir/overflow_dump"
                              port_flags+=("--over_dump_path=$output_dir/overflow_dump") ;;
            --data_dump_flag=True) mkdir -p "$output_dir/data_dump"
                                   port_flags+=("--data_dump_path=$output_dir/data_dump") ;;
            --profiling=True) mkdir -p "$output_dir/profiling"
                              port_flags+=("--profiling_dump_path=$output_dir/profiling") ;;
        esac
    done
}

metric() {  # metric NAME: a figure from the run's metrics.json
    "$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$run_dir/metrics.json" "$1"
}

# run_port_script EPOCHS STATIC CASE_SUFFIX ARGS...: train (EPOCHS empty: the recipe's), then print and save the
# port's summary. Like the port's scripts, it starts the device's folder afresh.
run_port_script() {
    local epochs=$1 static=$2 suffix=$3
    shift 3
    parse_port_arguments "$@"
    run_dir="$output_dir/$ASCEND_DEVICE_ID"
    rm -rf "$run_dir"
    dump_and_profiling_paths
    local start status epoch_flag=()
    [[ -n "$epochs" ]] && epoch_flag=("--epoch=$epochs")
    start=$(date +%s)
    zoo-run "$recipe" --data_path="$data_path" --precision_mode="$precision_mode" "${epoch_flag[@]}" \
        --static="$static" --output-dir "$output_dir" "${port_flags[@]}" "${passthrough[@]}"
    status=$?
    e2e_time=$(( $(date +%s) - start ))
    echo "Final Training Duration sec : $e2e_time"
    if [[ $status -ne 0 ]]; then
        local log="$run_dir/train_$ASCEND_DEVICE_ID.log"
        if [[ -f "$log" ]]; then
            echo "[Error] zoo-run exited with status $status; the log is in $log"
        else  # refused before the run began (a recipe, an argument or the data): it said why, above
            echo "[Error] zoo-run exited with status $status before it began the run (no log written): its error is above"
        fi
        exit $status
    fi
    print_summary "$suffix"
}

print_summary() {
    local CaseName BatchSize FPS TrainingTime train_accuracy ActualLoss summary
    BatchSize=$(metric batch_size)
    FPS=$(awk 'BEGIN{printf "%.2f\n", '"$(metric examples_per_second)"'}')
    train_accuracy=$(metric train_accuracy)
    ActualLoss=$(metric train_loss)
    TrainingTime=$(awk 'BEGIN{printf "%.2f\n", '"$BatchSize"'*'"$RANK_SIZE"'*1000/'"$FPS"'}')
    CaseName="${Network}_bs${BatchSize}_${RANK_SIZE}p_$1"
    echo "------------------ Final result ------------------"
    echo "Final Performance images/sec : $FPS"
    echo "Final Train Accuracy : $train_accuracy"
    summary="$run_dir/$CaseName.log"
    {
        echo "Network = $Network"
        echo "RankSize = $RANK_SIZE"
        echo "BatchSize = $BatchSize"
        echo "DeviceType = $(uname -m)"
        echo "CaseName = $CaseName"
        echo "ActualFPS = $FPS"
        echo "TrainingTime = $TrainingTime"
        echo "TrainAccuracy = $train_accuracy"
        echo "ActualLoss = $ActualLoss"
        echo "E2ETrainingTime = $e2e_time"
    } > "$summary"
    cat "$summary"
}
