# bash completion for linreg — commands, options, option values, and the
# column names of the CSV file already named on the command line.

# The header fields of the first existing CSV file among the words.
_linreg_columns()
{
    # the first data file named (several share one header)
    local w f=
    for w in "${COMP_WORDS[@]}"; do
        case "$w" in
        *.csv | *.tsv | *.txt) [ -f "$w" ] && { f=$w; break; } ;;
        *.csv.gz | *.gz) [ -f "$w" ] && { f=$w; break; } ;;
        esac
    done
    [ -n "$f" ] || return 0
    local header
    case "$f" in
    *.gz) header=$(zcat -- "$f" 2>/dev/null | head -n 1) ;;
    *) header=$(head -n 1 -- "$f" 2>/dev/null) ;;
    esac
    header=${header%$'\r'}
    printf '%s\n' "$header" | tr ',;|\t' '\n\n\n\n' | tr -d '"'
}

_linreg()
{
    local cur prev cmd
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cmd=${COMP_WORDS[1]}

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "fit predict merge compare bench --help --version" -- "$cur"))
        return 0
    fi

    case "$cmd" in
    fit)
        case "$prev" in
        --method) COMPREPLY=($(compgen -W "auto qr svd inverse cholesky naive" -- "$cur")); return 0 ;;
        --vcov) COMPREPLY=($(compgen -W "classical HC0 HC1 HC2 HC3 HAC CL" -- "$cur")); return 0 ;;
        --format) COMPREPLY=($(compgen -W "text json csv markdown" -- "$cur")); return 0 ;;
        --na) COMPREPLY=($(compgen -W "omit error" -- "$cur")); return 0 ;;
        --ridge-scale) COMPREPLY=($(compgen -W "standardized raw" -- "$cur")); return 0 ;;
        -d | --delimiter) COMPREPLY=($(compgen -W ", ';' tab '|'" -- "$cur")); return 0 ;;
        -y | --target | -w | --weights)
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(_linreg_columns)" -- "$cur"))
            return 0 ;;
        -x | --features | --absorb | --cluster)
            # a comma-separated list: complete the last name
            local IFS=$'\n' head=${cur%,*} last=${cur##*,}
            [ "$head" = "$cur" ] && head= || head="$head,"
            COMPREPLY=($(compgen -P "$head" -W "$(_linreg_columns)" -- "$last"))
            return 0 ;;
        -o | --save | --save-partial | --residuals | --plot | --fe-out) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        -f | --formula | --ridge | --level | -t | --threads | --fe-tol | --fe-max-iter | \
            --na-strings | --max-line-bytes | --lag | --test) return 0 ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--formula --target --features --no-intercept --weights
                --ridge --ridge-scale --method --level --delimiter --na --na-strings --max-line-bytes --threads --vcov
                --lag --cluster --anova --vif --test
                --format --save --save-partial --residuals --plot --quiet --help --absorb --fe-tol
                --fe-max-iter --fe-out" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        ;;
    predict)
        case "$prev" in
        -m | --model) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur")); return 0 ;;
        --interval) COMPREPLY=($(compgen -W "none confidence prediction" -- "$cur")); return 0 ;;
        --format) COMPREPLY=($(compgen -W "csv json" -- "$cur")); return 0 ;;
        -o | --output) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --level | --na-strings | --max-line-bytes) return 0 ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--model --interval --level --format --na-strings
                --max-line-bytes --output --quiet --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        ;;
    merge)
        case "$prev" in
        --vcov) COMPREPLY=($(compgen -W "classical HC0 HC1 HC2 HC3 HAC CL" -- "$cur")); return 0 ;;
        --format) COMPREPLY=($(compgen -W "text json csv markdown" -- "$cur")); return 0 ;;
        -o | --save | --residuals | --plot) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --lag | --cluster | --level | --test | -t | --threads) return 0 ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--data --vcov --lag --cluster --level --anova --vif --test
                --format --save --residuals --plot --threads --quiet --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        ;;
    compare)
        case "$prev" in
        --format) COMPREPLY=($(compgen -W "text json csv markdown" -- "$cur")); return 0 ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--format --force --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -X '!*.json' -- "$cur"))
        fi
        ;;
    bench)
        case "$prev" in
        --format) COMPREPLY=($(compgen -W "text json csv" -- "$cur")); return 0 ;;
        --fit | --plot) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --sizes | --rows | --repeat) return 0 ;;
        esac
        COMPREPLY=($(compgen -W "--sizes --rows --repeat --fit --format --plot --quiet --help" -- "$cur"))
        ;;
    esac
    return 0
}
complete -o filenames -F _linreg linreg
