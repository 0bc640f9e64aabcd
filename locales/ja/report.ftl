# 実施した対策のレポート（`runbook report`）、日本語。../en/report.ftl と同じメッセージと変数。

report-title = { $host } で実施した対策
report-run = 実行 { $id }: { $runbook }
report-when = { $started } から { $finished } まで
report-when-unfinished = { $started } に開始、未完了
report-outcome-applied = 適用済み: 以下の変更は有効です。
report-outcome-rolled-back = { $at } にロールバック済み: 以下の変更はすべて元に戻されました。
report-outcome-failed = 失敗: { $error }。実行した内容はすべて元に戻されました。
report-outcome-other = 結果: { $outcome }。
report-params = パラメータ: { $params }

report-section-found = 判明したこと
report-found-fact = { $title }: { $value }
report-found-fact-not-as-wanted = { $title }: { $value }（期待値: { $want }）
report-found-script = `{ $script }`（{ $class }、uid { $uid }）: キュー内 { $count } 通{ $site }
report-found-site = 、サイト { $site }
report-found-files = ファイル: { $paths }
report-class-form = ロボットに悪用されたサイトのフォームまたはメーラー
report-class-random = ランダムな名前または eval されたスクリプト: サイトは感染しています
report-class-cron = スクリプト名なし: cron ジョブまたはシェル
report-class-unknown = サイトのスクリプト
report-by-script = スクリプト別: { $counts }
report-by-sender = 送信者別: { $counts }

report-section-changes = 変更内容
report-nothing-changed = サーバー上では何も変更されていません。
report-file-edited = { $path }: { $added } 行追加、{ $removed } 行削除
report-file-changed-since = { $path }: 変更済み（実行後に再編集されています）
report-file-gone = { $path }: 変更済み（ファイルはもうありません）
report-file-restored = { $path }: 変更後、復元済み
report-cron-disabled = { $user } の cron ジョブ { $count } 件をコメントアウト: { $jobs }
report-quarantined = { $mta } のキューから { $count } 通のメッセージを実行の隔離領域へ移動（削除せず保管）
report-released = 凍結されていた { $count } 通のメッセージを配送に回しました（{ $mta }）
report-processes-ended = { $user }（uid { $uid }）のプロセス { $count } 個を終了し、セッションを閉じました
report-command-ran = 実行: `{ $command }`
report-service-reloaded = 設定テストに合格した後、{ $service } をリロード

report-section-verify = 対策が有効か
report-verify-once = 1 回確認
report-verify-window = { $seconds } 秒間監視、{ $samples } 回測定
report-verify-passed = 有効: すべての確認に合格（{ $over }）、{ $at }。
report-verify-failed = 有効ではありません（{ $at }）: { $checks } 件中 { $failed } 件の確認が不合格。変更は適用されたままです。
report-verify-failed-rolled-back = 有効ではありません（{ $at }）: { $checks } 件中 { $failed } 件の確認が不合格。実行はロールバックされました。
report-verify-interrupted = 中断（{ $over }）、{ $at }: それまでの確認は合格。
report-verify-check-held = 合格: { $title }（{ $numbers }）
report-verify-check-failed = 不合格: { $title }（{ $numbers }）
report-verify-fact-wanted = { $value }、期待値 { $want }
report-verify-unknown = ここでは不明
report-verify-no-queue = 比較する計画時のキューがありません
report-verify-quiet = { $checked ->
        [0] 監視する送信元は見つかりませんでした
       *[other] 見つかった送信元 { $checked } 件から新しいメールはありません
    }
report-verify-still-sending = { $source }: その後 { $count } 通がキューに入り、最新は { $newest }
report-verify-sites-same = { $checked ->
        [0] スクリプトのサイトは不明です
       *[other] { $checked } 件のサイトは以前と同じく応答しています
    }
report-verify-site-changed = { $site } の応答は { $now }、対策前は { $before }
report-verify-no-answer = 応答なし
report-verify-no-log = 数えるメールログがありません
report-verify-rate = { $seconds } 秒間に { $submitted } 通を送信: 毎分 { $rate } 通、許容 { $allowed }
report-verify-configs-pass = { $checked ->
        [0] リロードしたサービスはありません
       *[other] 設定テスト { $checked } 件に合格
    }
report-verify-configs-fail = 設定テストが失敗: { $complaints }

report-section-manual = 手作業で残っていること
report-no-manual = なし。

report-section-undo = 元に戻す方法
report-undo = サーバー上で root として: `{ $command }`。ファイルはバイト単位で元に戻り、隔離したメッセージはキューに戻ります。終了したプロセスは戻せません。
report-undo-none = 元に戻すものはありません: { $why }
report-undo-why-rolled-back = この実行はロールバック済みです。
report-undo-why-failed = 失敗時に実行自身が変更を元に戻しました。
report-undo-why-nothing = 何も変更していません。
