/**
 * Shell completion scripts for `kubectl ambient ...` (and `kubectl-ambient ...` typed directly).
 * Each asks the executable for candidates through the `__complete` protocol (see
 * src/commands/shared/complete.ts) and hands every other `kubectl ...` line to the completion that was
 * registered for kubectl before (kubectl's own `kubectl completion <shell>`), so load it after that.
 * kubectl 1.26+ users with `kubectl_complete-ambient` on their PATH (the release archives ship it)
 * get `kubectl ambient <TAB>` from kubectl's own completion without any of these.
 */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

const call = (shellIf: 'bash' | 'fish'): string =>
  shellIf === 'bash'
    ? `__kubectl_ambient_call() {
  if command -v kubectl-ambient >/dev/null 2>&1; then kubectl-ambient __complete "$@" 2>/dev/null
  else kubectl ambient __complete "$@" 2>/dev/null; fi
}`
    : `function __kubectl_ambient_call
    if command -q kubectl-ambient
        kubectl-ambient __complete $argv 2>/dev/null
    else
        kubectl ambient __complete $argv 2>/dev/null
    end
end`;

const BASH = `# bash completion for "kubectl ambient" (kubectl-ambient). Load it after kubectl's own:
#   source <(kubectl completion bash); source <(kubectl ambient completion bash)
${call('bash')}

# $1: how many words name the program (2 for "kubectl ambient", 1 for "kubectl-ambient").
__kubectl_ambient_bash() {
  local skip=$1 cur cword line directive=4
  local -a words lines replies
  if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _get_comp_words_by_ref -n =: cur words cword
  else
    # Without bash-completion: join what COMP_WORDBREAKS split at "=" and ":", as -n =: does.
    local i j=-1 glue=0 w
    for (( i = 0; i <= COMP_CWORD; i++ )); do
      w=\${COMP_WORDS[i]-}
      if (( j >= 0 )) && { [[ $w == [=:] ]] || (( glue )); }; then words[j]+=$w; else words[++j]=$w; fi
      if [[ $w == [=:] ]]; then glue=1; else glue=0; fi
    done
    cur=\${words[j]} cword=$j
  fi
  mapfile -t lines < <(__kubectl_ambient_call "\${words[@]:skip:cword-skip}" "$cur")
  if (( \${#lines[@]} > 0 )) && [[ \${lines[\${#lines[@]}-1]} == :* ]]; then
    directive=\${lines[\${#lines[@]}-1]#:}
    unset 'lines[\${#lines[@]}-1]'
  fi
  COMPREPLY=()
  (( directive & 1 )) && return 0
  # --flag=<TAB>: the values come bare (cobra's protocol), and readline replaces only what follows "=".
  local value=$cur
  [[ $cur == -*=* ]] && value=\${cur#*=}
  for line in "\${lines[@]}"; do
    line=\${line%%$'\\t'*}
    [[ $line == "$value"* ]] && replies+=("$line")
  done
  # readline replaces only the part after a ":" too (COMP_WORDBREAKS): drop what precedes it.
  local keep=\${value%"\${value##*:}"}
  for line in "\${replies[@]}"; do COMPREPLY+=("\${line#"$keep"}"); done
  if (( \${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
__kubectl_ambient_direct() { __kubectl_ambient_bash 1; }
__kubectl_ambient_kubectl() {
  if [[ \${COMP_WORDS[1]-} == ambient ]] && (( COMP_CWORD >= 2 )); then
    __kubectl_ambient_bash 2
  elif [[ -n \${__kubectl_ambient_next-} ]]; then
    "$__kubectl_ambient_next" "$@"
  fi
}
# The function kubectl's own completion registered (cobra: __start_kubectl), to hand other words to.
__kubectl_ambient_prev=$(complete -p kubectl 2>/dev/null)
if [[ $__kubectl_ambient_prev =~ -F\\ ([^ ]+) && \${BASH_REMATCH[1]} != __kubectl_ambient_kubectl ]]; then
  __kubectl_ambient_next=\${BASH_REMATCH[1]}
fi
unset __kubectl_ambient_prev
complete -o default -F __kubectl_ambient_kubectl kubectl
complete -o default -F __kubectl_ambient_direct kubectl-ambient
`;

const ZSH = `# zsh completion for "kubectl ambient" (kubectl-ambient). Load it after compinit and kubectl's own:
#   source <(kubectl completion zsh); source <(kubectl ambient completion zsh)
__kubectl_ambient_call() {
  if (( $+commands[kubectl-ambient] )); then kubectl-ambient __complete "$@" 2>/dev/null
  else kubectl ambient __complete "$@" 2>/dev/null; fi
}

# $1: how many words name the program (2 for "kubectl ambient", 1 for "kubectl-ambient").
__kubectl_ambient_zsh() {
  local out line directive=4
  local -a lines cands
  out=$(__kubectl_ambient_call "\${(@)words[$(( $1 + 1 )),CURRENT]}")
  lines=("\${(@f)out}")
  if [[ \${lines[-1]-} == :* ]]; then
    directive=\${lines[-1]#:}
    lines[-1]=()
  fi
  (( directive & 1 )) && return 1
  # --flag=<TAB>: the values come bare (cobra's protocol); the flag goes back in front of each.
  local -a prefix
  [[ \${words[CURRENT]} == -*=* ]] && prefix=(-P "\${words[CURRENT]%%=*}=")
  for line in $lines; do
    if [[ $line == *$'\\t'* ]]; then
      cands+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
    else
      cands+=("\${line//:/\\\\:}")
    fi
  done
  if (( \${#cands} )); then
    _describe -t values 'kubectl ambient' cands "\${prefix[@]}"
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
__kubectl_ambient_direct() { __kubectl_ambient_zsh 1; }
__kubectl_ambient_kubectl() {
  if [[ \${words[2]-} == ambient ]] && (( CURRENT > 2 )); then
    __kubectl_ambient_zsh 2
  elif [[ -n \${__kubectl_ambient_next-} ]]; then
    "$__kubectl_ambient_next" "$@"
  else
    _default
  fi
}
if [[ \${_comps[kubectl]-} != __kubectl_ambient_kubectl ]]; then __kubectl_ambient_next=\${_comps[kubectl]-}; fi
compdef __kubectl_ambient_kubectl kubectl
compdef __kubectl_ambient_direct kubectl-ambient
`;

const FISH = `# fish completion for "kubectl ambient" (kubectl-ambient). Load it with:
#   kubectl ambient completion fish | source
${call('fish')}

# $skip: how many words name the program (2 for "kubectl ambient", 1 for "kubectl-ambient").
function __kubectl_ambient_fish --argument-names skip
    set -l tokens (commandline -opc)
    set -l words
    if test (count $tokens) -gt $skip
        set words $tokens[(math $skip + 1)..-1]
    end
    set -l current (commandline -ct)
    set -l out (__kubectl_ambient_call $words "$current")
    set -l directive 4
    if test (count $out) -gt 0; and string match -q -- ':*' $out[-1]
        set directive (string sub -s 2 -- $out[-1])
        set -e out[-1]
    end
    test "$directive" = 1; and return
    # --flag=<TAB>: the values come bare (cobra's protocol); fish wants the whole token back.
    set -l prefix (string match -r -- '^-[^=]*=' "$current")
    for line in $out
        printf '%s%s\\n' "$prefix" $line
    end
    if test (count $out) -eq 0; and test "$directive" = 0
        __fish_complete_path "$current"
    end
end

function __kubectl_ambient_after_kubectl
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = ambient
end

complete -c kubectl -n __kubectl_ambient_after_kubectl -f -a '(__kubectl_ambient_fish 2)'
complete -c kubectl-ambient -f -a '(__kubectl_ambient_fish 1)'
`;

/** The completion script of a shell. */
export function completionScript(shell: CompletionShell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
