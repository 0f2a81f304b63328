## agency_rows.R — stress/agency_rows.json: agency rows on the stratified basis (METHODS
## §10-12, REFGEN "Agency rows on the stratified basis", "Holm over questions").
##
## Cases
##  1. main refdata, --year 2024 --baseline 2023: every index on both bases with its change,
##     p_holm/verdict_holm of the questions per basis; agency rows with the unweighted
##     fields (METHODS §10), the stratified block (own stratum, fpc; baseline over the
##     predecessors [T (1)]; z change; Holm over the agencies with a stratified p; rank range;
##     precision flag) and predecessors.
##  2. xw set (2025 against 2023 through xw_crosswalk.csv): the same; the unweighted change is
##     null / insufficient_data for agencies whose predecessors include another unit.
##     Years follow CONTRACT.md (Asia/Ho_Chi_Minh); the project's copy of
##     xw_responses_2025.csv dates its three New-Year answers inside 2025 (refdata/README.md),
##     so MG has n = 560 as in refdata/expected/xw_2025_vs_2023.json.
##  3./4. the same rows seen through --agency / --level filters: the Holm p and the rank range
##     of an agency are those of the unfiltered report (CONTRACT, METHODS §12).
## BH over the agencies (false-discovery screening, METHODS §8) is not a CONTRACT field; it is
## given per case under `reference_only.p_bh_stratified`, outside `report`.
##
## Usage: Rscript internal/index/testdata/r/agency_rows.R

local({
  a <- commandArgs(FALSE)
  me <- normalizePath(sub("^--file=", "", a[grep("^--file=", a)]))
  source(file.path(dirname(me), "lib.R"))
})
t_start <- proc.time()[["elapsed"]]
REF <- td("refdata")

## ---- 1. main refdata ------------------------------------------------------------------
ag <- read_agencies(file.path(REF, "agencies.csv"))
pops <- read_populations(file.path(REF, "populations.csv"))
resp <- read_responses(file.path(REF, c("responses_2023.csv", "responses_2024.csv")))
main <- build_report(resp, pops, ag$code, 2024, 2023, label = "main")
in_main <- inputs_obj("refdata/agencies.csv", "refdata/populations.csv",
                      c("refdata/responses_2023.csv", "refdata/responses_2024.csv"))
cases <- list(stress_case("main 2024 vs 2023", in_main, c("--year", "2024", "--baseline", "2023"), main))

## ---- 2. the crosswalk set ---------------------------------------------------------------
xag <- read_agencies(file.path(REF, "xw_agencies.csv"))
xpops <- read_populations(file.path(REF, "xw_populations.csv"))
cw <- read_crosswalk(file.path(REF, "xw_crosswalk.csv"))
xresp <- read_responses(file.path(REF, c("xw_responses_2023.csv", "xw_responses_2025.csv")))
cat("xw responses by year (Asia/Ho_Chi_Minh):", paste(names(table(xresp$year)), table(xresp$year), collapse = ", "), "\n")
xw <- build_report(xresp, xpops, xag$code, 2025, 2023, cw = cw, label = "xw")
in_xw <- inputs_obj("refdata/xw_agencies.csv", "refdata/xw_populations.csv",
                    c("refdata/xw_responses_2023.csv", "refdata/xw_responses_2025.csv"),
                    crosswalk = "refdata/xw_crosswalk.csv")
cases[[2]] <- stress_case("xw 2025 vs 2023 through the crosswalk", in_xw,
                          c("--year", "2025", "--baseline", "2023"), xw)

## ---- 3./4. filtered views: the row of an agency does not depend on the filter ------------
pick <- function(b, keep) list(report = list(agencies = Filter(function(r) r$agency %in% keep, b$report$agencies)))
cases[[3]] <- stress_case("xw --agency MG.30600: same row as unfiltered", in_xw,
                          c("--year", "2025", "--baseline", "2023", "--agency", "MG.30600"), pick(xw, "MG.30600"),
                          note = "only the agency row is given; its p_holm and rank range are those of the unfiltered report")
communes <- ag$code[ag$level == "commune"]
cases[[4]] <- stress_case("main --level commune: same rows as unfiltered", in_main,
                          c("--year", "2024", "--baseline", "2023", "--level", "commune"), pick(main, communes),
                          note = "only the agency rows of the level are given; Holm family and rank ranges are those of the unfiltered report")

## ---- summary ------------------------------------------------------------------------------
show <- function(b, title) {
  cat(title, "\n")
  for (r in b$report$agencies) {
    s <- r$stratified; ch <- s$change
    cat(sprintf("  %-13s n=%3d  strat %.4f se %s  rank %d-%d  change %s p %s holm %s %s  unw %s  indicative %s  pred %s\n",
                r$agency, r$n, s$estimate, format(s$se, digits = 3), s$rank_low, s$rank_high,
                format(ch$diff, digits = 3), format(ch$p_value, digits = 3), format(ch$p_holm, digits = 3),
                ch$verdict_holm, r$change$verdict_holm, s$indicative,
                paste(sapply(r$predecessors, function(p) sprintf("%s(%g)", p$agency, p$share)), collapse = " ")))
  }
}
show(main, "main 2024 vs 2023")
show(xw, "xw 2025 vs 2023")
sc <- selfcheck_table()
cat(sprintf("survey cross-checks: %d values, max |hand - survey| %.3g\n", nrow(sc), max(sc$absdiff)))
stopifnot(max(sc$absdiff) < 1e-15)

out <- td("stress", "agency_rows.json")
dir.create(dirname(out), showWarnings = FALSE)
write_json_file(stress_file(paste(
  "Agency rows on the stratified basis (METHODS 10-12): own stratum with fpc, baseline over the",
  "predecessors (share-weighted, own fpc), z change, Holm over all agencies with a stratified p,",
  "Klein-Wright-Wieczorek rank ranges (Bonferroni z), precision flag; unweighted rows as METHODS 10",
  "(null / insufficient_data across a reorganisation); question p_holm / verdict_holm per basis.",
  "reference_only holds BH and the Holm family sizes (not report fields)."), cases), out)
cat("wrote", out, sprintf("(%.1f s)\n", proc.time()[["elapsed"]] - t_start))
